package config_test

import (
	"fmt"

	"github.com/kvkit/kvkit/libkv/config"
)

func ExampleLoad() {
	cfg, err := config.Load([]string{"--port", "7000", "--save", "", "--maxmemory", "1gb"}, config.Options{Dir: "/"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Values.Port, cfg.Values.Maxmemory, len(cfg.Values.Save))
	// Output: 7000 1073741824 0
}

func ExampleConfig_Set() {
	cfg := config.Default()
	fmt.Println(cfg.Set([]string{"maxmemory", "100mb", "maxmemory-policy", "allkeys-lru"}, config.SetEnv{}))
	fmt.Println(cfg.Get([]string{"maxmemory*policy", "maxmemory"}))
	fmt.Println(cfg.Set([]string{"maxmemory", "lots"}, config.SetEnv{}))
	// Output:
	// <nil>
	// [maxmemory-policy allkeys-lru maxmemory 104857600]
	// ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value
}

func ExampleLoad_error() {
	_, err := config.Load([]string{"--maxmemory", "lots"}, config.Options{Dir: "/"})
	fmt.Println(err)
	// Output:
	// *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
	// Reading the configuration file, at line 2
	// >>> 'maxmemory "lots"'
	// argument must be a memory value
}
