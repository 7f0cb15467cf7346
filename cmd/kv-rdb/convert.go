package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pierrec/lz4/v4"
	"github.com/urfave/cli/v2"

	"github.com/kvkit/kvkit/librdb"
)

func convertCommand() *cli.Command {
	return &cli.Command{
		Name:      "convert",
		Usage:     "re-encode an RDB file for another RDB version (10 by default: what Redis 7.0 loads)",
		ArgsUsage: "FILE",
		Description: "convert decodes FILE and writes it again as RDB --rdb-version (10, 11 or 12) with the encodings\n" +
			"Redis would choose at its default thresholds: e.g. a Redis 7.4 (v12) or 7.2 (v11) file becomes\n" +
			"a v10 file Redis 7.0 loads (listpack sets become intsets or hash tables, stream listpacks 3\n" +
			"become 2). Hash field expiry, which v10 and v11 cannot hold, is dropped with a warning, or\n" +
			"refused with --strict. Module values and module AUX data are copied as they are (they are\n" +
			"self-describing), or dropped with --skip-modules. One key is held in memory at a time. The\n" +
			"output is written to a temporary\n" +
			"file, synced and renamed; --lz4 writes an lz4 frame.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Required: true, Usage: "write to `OUT` (- for standard output)"},
			&cli.IntFlag{Name: "rdb-version", Value: librdb.DefaultVersion, Usage: "RDB version `N` to write: 10, 11 or 12"},
			&cli.BoolFlag{Name: "strict", Usage: "fail instead of dropping what the target version cannot hold"},
			&cli.BoolFlag{Name: "skip-modules", Usage: "drop module values and module AUX data (with a warning)"},
			&cli.BoolFlag{Name: "lz4", Usage: "write an lz4 frame"},
		}, filterFlags()...),
		Action: runConvert,
	}
}

// convertVisitor writes every key it is given to the encoder.
type convertVisitor struct {
	librdb.Collector
	enc     *librdb.Encoder
	db      int
	resize  [2]uint64
	strict  bool
	skipMod bool
	warn    warnOnce
	keys    int64
}

func (cv *convertVisitor) Aux(k, v []byte) error { return cv.enc.WriteAux(string(k), string(v)) }

func (cv *convertVisitor) ResizeDB(keys, expires uint64) error {
	cv.resize = [2]uint64{keys, expires}
	return nil
}

func (cv *convertVisitor) ModuleAux(m *librdb.Module) error {
	if cv.skipMod {
		cv.warn.warn("module AUX data dropped (first: module %s)", m.Name)
		return nil
	}
	return cv.enc.WriteModuleAux(m)
}

func (cv *convertVisitor) Function(f *librdb.Function) error {
	code := f.Code
	if f.PreGA {
		code = append([]byte("#!"+f.Engine+" name="+f.Name+"\n"), code...)
	}
	return cv.enc.WriteFunction(code)
}

func (cv *convertVisitor) EndKey(k *librdb.Key) error {
	v := cv.Value()
	if v.Kind == librdb.KindModule && cv.skipMod {
		cv.warn.warn("module values dropped (first: key %q, module %s)", k.Key, v.Module.Name)
		return nil
	}
	if k.DB != cv.db {
		cv.db = k.DB
		if err := cv.enc.SelectDB(k.DB, cv.resize[0], cv.resize[1]); err != nil {
			return err
		}
	}
	err := cv.enc.WriteKey(k.Key, v, librdb.KeyMeta{Expire: k.Expire, Idle: k.Idle, Freq: k.Freq})
	if err == nil {
		cv.keys++
		return nil
	}
	if v.Kind == librdb.KindHash && !cv.strict {
		cv.warn.warn("hash field expiry cannot be stored below RDB version 12 and was dropped (first: key %q)", k.Key)
		for i := range v.Fields {
			v.Fields[i].Expire = -1
		}
		cv.keys++
		return cv.enc.WriteKey(k.Key, v, librdb.KeyMeta{Expire: k.Expire, Idle: k.Idle, Freq: k.Freq})
	}
	return findingError("%v", err)
}

func runConvert(c *cli.Context) error {
	f, err := fileAndFilter(c)
	if err != nil {
		return err
	}
	ver := c.Int("rdb-version")
	if ver < 10 || ver > 12 {
		return usageError("--rdb-version %d: kv-rdb writes RDB versions 10, 11 and 12", ver)
	}
	in, err := openInput(c, c.Args().First())
	if err != nil {
		return err
	}
	defer in.close()
	out := c.String("output")
	var dst io.Writer
	var tmp *os.File
	if out == "-" {
		dst = os.Stdout
	} else {
		tmp, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
		if err != nil {
			return usageError("%v", err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		dst = tmp
	}
	bw := bufio.NewWriterSize(dst, 1<<20)
	var zw *lz4.Writer
	var encOut io.Writer = bw
	if c.Bool("lz4") {
		zw = lz4.NewWriter(bw)
		encOut = zw
	}
	enc, err := librdb.NewEncoder(encOut, ver)
	if err != nil {
		return usageError("%v", err)
	}
	if err := enc.WriteHeader(); err != nil {
		return err
	}
	in.dec.KeepModules = !c.Bool("skip-modules")
	cv := &convertVisitor{enc: enc, db: -1, strict: c.Bool("strict"), skipMod: c.Bool("skip-modules"), warn: warnOnce{}}
	if err := in.decode(newFilterVisitor(f, cv, in.prog)); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if tmp != nil {
		if err := tmp.Sync(); err != nil {
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), out); err != nil {
			return err
		}
		if d, err := os.Open(filepath.Dir(out)); err == nil {
			d.Sync()
			d.Close()
		}
		fmt.Fprintf(os.Stderr, "kv-rdb: wrote %d keys as RDB version %d to %s\n", cv.keys, ver, out)
	}
	return nil
}
