package config

import (
	"reflect"
	"testing"
)

func TestTable(t *testing.T) {
	fields := map[int]bool{}
	names := map[string]bool{}
	for _, d := range Directives() {
		for _, n := range []string{d.Name, d.Alias} {
			if n == "" {
				continue
			}
			if names[n] {
				t.Errorf("%s declared twice", n)
			}
			names[n] = true
			if Lookup(n) != d {
				t.Errorf("Lookup(%q) is not %s", n, d.Name)
			}
		}
		fields[d.field] = true
	}
	// Every field of Values belongs to a directive.
	vt := reflect.TypeOf(Values{})
	for i := 0; i < vt.NumField(); i++ {
		if !fields[i] {
			t.Errorf("Values.%s has no directive", vt.Field(i).Name)
		}
	}
	for name := range Implemented {
		if Lookup(name) == nil && !isFileOnly(name) {
			t.Errorf("Implemented names unknown directive %q", name)
		}
	}
	if Lookup("SLAVEOF") == nil || Lookup("include") != nil || Lookup("nosuch") != nil {
		t.Error("Lookup")
	}
	if d := Lookup("port"); !d.Implemented() || Lookup("activedefrag").Implemented() {
		t.Error("Implemented()")
	}
}
