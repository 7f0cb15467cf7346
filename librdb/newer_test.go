package librdb

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// slotVisitor records SlotInfo records on top of canonVisitor.
type slotVisitor struct {
	canonVisitor
	slots [][3]uint64
}

func (s *slotVisitor) SlotInfo(a, b, c uint64) error {
	s.slots = append(s.slots, [3]uint64{a, b, c})
	return nil
}

func keyByName(t *testing.T, v *canonVisitor, name string) *canonKey {
	t.Helper()
	for _, k := range v.keys {
		if k.key == name {
			return k
		}
	}
	t.Fatalf("key %q not decoded", name)
	return nil
}

func strs(bs [][]byte) []string {
	var s []string
	for _, b := range bs {
		s = append(s, string(b))
	}
	return s
}

// TestNewerVersions checks the files Redis 7.0 cannot load (RDB 11, 12,
// VALKEY080) against the content their sources state (SOURCES.md).
func TestNewerVersions(t *testing.T) {
	dir := filepath.Join(sharedTestdata(t), "public")
	load := func(name string) *slotVisitor {
		t.Helper()
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		v := &slotVisitor{}
		if err := NewDecoder(f).Decode(v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}

	v := load("redis-replicator/dumpV11.rdb")
	if got := strs(keyByName(t, &v.canonVisitor, "setlistpack").Elems); len(got) != 4 {
		t.Errorf("dumpV11 setlistpack: %q", got)
	}
	for _, k := range v.keys {
		if k.Kind == KindStream {
			m := k.Stream
			if m.Length != 9 || m.FirstID.String() != "1646121872530-0" || m.MaxDeletedID.String() != "1646121870418-0" || m.EntriesAdded != 16 || len(m.Groups) != 6 {
				t.Errorf("dumpV11 stream meta: %+v", m)
			}
			var reads []int64
			for _, g := range m.Groups {
				reads = append(reads, g.EntriesRead)
				for _, c := range g.Consumers {
					if c.ActiveTime <= 0 {
						t.Errorf("dumpV11 consumer %q without active time", c.Name)
					}
				}
			}
			// Six groups; the two with a known entries-read have 4 and 3,
			// the others were stored as unknown (-1).
			sort.Slice(reads, func(i, j int) bool { return reads[i] > reads[j] })
			if len(reads) != 6 || reads[0] != 4 || reads[1] != 3 || reads[2] != -1 {
				t.Errorf("dumpV11 entries-read %v, want 4, 3 and unknowns", reads)
			}
		}
	}

	v = load("dragonfly/RDB_TYPE_STREAM_LISTPACKS_3.rdb")
	m := keyByName(t, &v.canonVisitor, "mystream").Stream
	if m.Length != 2 || m.LastID.String() != "1732614679549-0" || m.FirstID.String() != "1732614676541-0" || m.EntriesAdded != 2 || len(m.Groups) != 1 {
		t.Errorf("LISTPACKS_3 meta %+v", m)
	}

	v = load("dragonfly/redis7_small.rdb")
	// SOURCES.md lists [list1, list2] as a set; the listpack holds list2 first.
	if got := strs(keyByName(t, &v.canonVisitor, "my-list").Elems); strings.Join(got, ",") != "list2,list1" {
		t.Errorf("my-list %q", got)
	}
	if got := keyByName(t, &v.canonVisitor, "my-hset").canon(); got != "61636d65 3434 6669656c64 3232" {
		t.Errorf("my-hset %s", got)
	}
	if got := keyByName(t, &v.canonVisitor, "my-set").canon(); got != "61636d65 7265646973" {
		t.Errorf("my-set %s", got)
	}
	if z := keyByName(t, &v.canonVisitor, "zset").Members; len(z) != 2 {
		t.Errorf("zset %v", z)
	}

	v = load("dragonfly/redis_json.rdb")
	for _, name := range []string{"json-str", "json-arr", "json-obj"} {
		if k := keyByName(t, &v.canonVisitor, name); k.Module == nil || k.Module.Name != "ReJSON-RL" {
			t.Errorf("%s: module %+v", name, k.Module)
		}
	}

	v = load("dragonfly/ignore_expiry.rdb")
	for _, k := range v.keys {
		if k.expire <= 0 {
			t.Errorf("ignore_expiry: key %q has no expiry", k.key)
		}
	}

	v = load("HDT3213-rdb/expiration.rdb")
	n := 0
	for _, k := range v.keys {
		if k.expire >= 0 {
			n++
			if k.expire < 1751731200000 || k.expire > 1751817600000 {
				t.Errorf("expiration.rdb: expiry %d out of range", k.expire)
			}
		}
	}
	if n != 1 {
		t.Errorf("expiration.rdb: %d keys with expiry, want 1", n)
	}

	v = load("redis-replicator/dump-slot.rdb")
	// SOURCES.md says 4772/2/0 "twice"; the file holds it once, before
	// the two keys of that slot.
	want := [][3]uint64{{98, 1, 0}, {230, 1, 0}, {4163, 1, 0}, {4772, 2, 0}}
	if len(v.slots) != len(want) || len(v.keys) != 5 {
		t.Errorf("dump-slot: slots %v keys %d", v.slots, len(v.keys))
	}
	for i := range want {
		if i < len(v.slots) && v.slots[i] != want[i] {
			t.Errorf("dump-slot: slot info %d = %v, want %v", i, v.slots[i], want[i])
		}
	}

	v = load("redis-replicator/dump-ttlhash.rdb")
	for name, want := range map[string][2]int{"ttlhash1": {TypeHashMetadata, 1024}, "iterttlhash": {TypeHashListpackEx, 128}} {
		k := keyByName(t, &v.canonVisitor, name)
		if int(k.rdbType) != want[0] || len(k.Fields) != want[1] {
			t.Errorf("dump-ttlhash %s: type %d with %d fields, want %v", name, k.rdbType, len(k.Fields), want)
		}
		for _, f := range k.Fields {
			// Written in June 2025 with TTLs of hours.
			if e := f.Expire; e != -1 && (e < 1749000000000 || e > 1750000000000) {
				t.Errorf("dump-ttlhash %s: field expiry %d", name, e)
			}
		}
	}

	v = load("HDT3213-rdb/tree.rdb")
	prefixes := map[string]int{}
	for _, k := range v.keys {
		for _, p := range []string{"a", "ab", "abb"} {
			if strings.HasPrefix(k.key, p) {
				prefixes[p]++
			}
		}
	}
	if prefixes["a"] != 6 || prefixes["ab"] != 5 || prefixes["abb"] != 3 {
		t.Errorf("tree.rdb prefixes %v", prefixes)
	}
}

// TestHDT3213JSON compares hashes (with field expiry), sets and functions
// of the newer-version HDT3213 files with that project's expected JSON.
func TestHDT3213JSON(t *testing.T) {
	dir := filepath.Join(sharedTestdata(t), "public", "HDT3213-rdb")
	for _, name := range []string{"hash_with_hfe", "hash_as_listpack_with_hfe", "valkey_hash2_with_hfe", "set_listpack", "function", "stream_listoacks_3"} {
		raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var recs []struct {
			Key          string
			Type         string
			Hash         map[string]string
			Expire       map[string]int64
			Members      []string
			FunctionsLua string
			Len          uint64
			LastID       string `json:"lastId"`
		}
		if err := json.Unmarshal(raw, &recs); err != nil {
			t.Fatalf("%s.json: %v", name, err)
		}
		v, err := decodeFile(t, filepath.Join(dir, name+".rdb"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, r := range recs {
			switch r.Type {
			case "hash":
				k := keyByName(t, v, r.Key)
				got := map[string]string{}
				exp := map[string]int64{}
				for _, f := range k.Fields {
					got[string(f.Field)] = string(f.Value)
					exp[string(f.Field)] = max(f.Expire, 0)
				}
				for f, val := range r.Hash {
					if got[f] != val || exp[f] != r.Expire[f] {
						t.Errorf("%s: field %s = %q exp %d, want %q exp %d", name, f, got[f], exp[f], val, r.Expire[f])
					}
				}
				if len(got) != len(r.Hash) {
					t.Errorf("%s: %d fields, want %d", name, len(got), len(r.Hash))
				}
			case "set":
				got := strs(keyByName(t, v, r.Key).Elems)
				sort.Strings(got)
				sort.Strings(r.Members)
				if strings.Join(got, ",") != strings.Join(r.Members, ",") {
					t.Errorf("%s: members %q, want %q", name, got, r.Members)
				}
			case "functions":
				if len(v.funcs) == 0 || !strings.Contains(strings.Join(v.funcs, "\n"), cliQuote(r.FunctionsLua)) {
					t.Errorf("%s: functions %q, want code %q", name, v.funcs, r.FunctionsLua)
				}
			case "stream":
				m := keyByName(t, v, r.Key).Stream
				if m.Length != r.Len || m.LastID.String() != r.LastID {
					t.Errorf("%s: stream len %d last %s, want %d %s", name, m.Length, m.LastID, r.Len, r.LastID)
				}
			}
		}
	}
}
