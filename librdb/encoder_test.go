package librdb

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/testutil"
)

// reencode decodes src and writes every key and function again with an
// Encoder of the given version.
func reencode(t *testing.T, src []byte, version int) []byte {
	t.Helper()
	var out bytes.Buffer
	enc, err := NewEncoder(&out, version)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.WriteHeader(); err != nil {
		t.Fatal(err)
	}
	v := &reencodeVisitor{enc: enc, db: -1}
	d := NewDecoder(bytes.NewReader(src))
	d.KeepModules = true
	if err := d.Decode(v); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

type reencodeVisitor struct {
	Collector
	enc *Encoder
	db  int
}

func (r *reencodeVisitor) ModuleAux(m *Module) error { return r.enc.WriteModuleAux(m) }

func (r *reencodeVisitor) Function(f *Function) error {
	code := f.Code
	if f.PreGA {
		code = append([]byte("#!"+f.Engine+" name="+f.Name+"\n"), code...)
	}
	return r.enc.WriteFunction(code)
}

func (r *reencodeVisitor) EndKey(k *Key) error {
	if k.DB != r.db {
		r.db = k.DB
		if err := r.enc.SelectDB(k.DB, 0, 0); err != nil {
			return err
		}
	}
	return r.enc.WriteKey(k.Key, r.Value(), KeyMeta{Expire: k.Expire, Idle: k.Idle, Freq: k.Freq})
}

// TestEncoderRoundTrip re-encodes the Redis 7.0 corpus as RDB 10: our
// decoder must read back the same canonical content, redis-check-rdb must
// accept the file, and redis-server 7.0 must load it to the same content
// (checked by DEBUG DIGEST against the original).
func TestEncoderRoundTrip(t *testing.T) {
	dir := filepath.Join(sharedTestdata(t), "redis-7.0")
	src, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	out := reencode(t, src, DefaultVersion)
	v := &canonVisitor{}
	if err := NewDecoder(bytes.NewReader(out)).Decode(v); err != nil {
		t.Fatalf("re-decoding our file: %v", err)
	}
	compareCanon(t, "re-encoded dump.rdb", v, dir+"/", true)

	tmp := t.TempDir()
	path := filepath.Join(tmp, "ours.rdb")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	msg, err := exec.Command(testutil.Program(t, "redis-check-rdb"), path).CombinedOutput()
	if err != nil || !strings.Contains(string(msg), "RDB looks OK") {
		t.Fatalf("redis-check-rdb rejects our file: %v\n%s", err, msg)
	}

	// Load both files into redis-server 7.0 and compare DEBUG DIGEST.
	digest := func(file string) string {
		d := t.TempDir()
		b, _ := os.ReadFile(file)
		os.WriteFile(filepath.Join(d, "dump.rdb"), b, 0o644)
		port := testutil.FreePort(t)
		s := testutil.Start(t, port, testutil.Program(t, "redis-server"), "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--dir", d, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no", "--enable-debug-command", "yes")
		defer s.Stop()
		out, err := exec.Command(testutil.Program(t, "redis-cli"), "-p", strconv.Itoa(port), "DEBUG", "DIGEST").CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli: %v %s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	want, got := digest(filepath.Join(dir, "dump.rdb")), digest(path)
	if want != got || len(want) != 40 {
		t.Fatalf("redis-server loads our file to digest %s, the original to %s", got, want)
	}
}

// TestEncoderNewerVersions re-encodes as RDB 11 and 12 and decodes back:
// same content; hash field expiry survives in 12 and is refused below.
func TestEncoderNewerVersions(t *testing.T) {
	dir := sharedTestdata(t)
	src, err := os.ReadFile(filepath.Join(dir, "redis-7.0", "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ver := range []int{11, 12} {
		out := reencode(t, src, ver)
		v := &canonVisitor{}
		if err := NewDecoder(bytes.NewReader(out)).Decode(v); err != nil {
			t.Fatalf("v%d: %v", ver, err)
		}
		compareCanon(t, "re-encoded v"+strconv.Itoa(ver), v, filepath.Join(dir, "redis-7.0")+"/", true)
	}
	hfe, err := os.ReadFile(filepath.Join(dir, "public", "HDT3213-rdb", "hash_with_hfe.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	orig := &canonVisitor{}
	NewDecoder(bytes.NewReader(hfe)).Decode(orig)
	back := &canonVisitor{}
	if err := NewDecoder(bytes.NewReader(reencode(t, hfe, 12))).Decode(back); err != nil {
		t.Fatal(err)
	}
	if len(back.keys) != 1 || back.keys[0].canon() != orig.keys[0].canon() ||
		!reflect.DeepEqual(back.keys[0].Fields, orig.keys[0].Fields) {
		t.Fatalf("field TTLs not preserved: %v vs %v", back.keys[0].Fields, orig.keys[0].Fields)
	}
	var buf bytes.Buffer
	enc, _ := NewEncoder(&buf, 10)
	err = enc.WriteKey([]byte("h"), &Value{Kind: KindHash, Fields: []HashEntry{{[]byte("f"), []byte("v"), 5}}}, NoMeta)
	if !errors.Is(err, ErrFieldTTL) {
		t.Fatalf("v10 with field TTL: %v", err)
	}
}

// TestEncoderModules: module values and module AUX data read with
// KeepModules are written back byte for byte; redis-check-rdb walks them.
func TestEncoderModules(t *testing.T) {
	dir := filepath.Join(sharedTestdata(t), "public")
	for _, name := range []string{"redis-replicator/dump-module-2.rdb", "redis-rdb-tools/redis_60_with_module_aux.rdb", "redis-rdb-tools/redis_40_with_module.rdb"} {
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out := reencode(t, src, DefaultVersion)
		var a, b []Module
		for _, in := range [][]byte{src, out} {
			var mods []Module
			mv := &moduleVisitor{mods: &mods}
			d := NewDecoder(bytes.NewReader(in))
			d.KeepModules = true
			if err := d.Decode(mv); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if a == nil {
				a = mods
			} else {
				b = mods
			}
		}
		if len(a) == 0 || len(a) != len(b) {
			t.Fatalf("%s: %d module records, then %d", name, len(a), len(b))
		}
		for i := range a {
			if a[i].Name != b[i].Name || !bytes.Equal(a[i].Raw, b[i].Raw) || a[i].When != b[i].When {
				t.Errorf("%s: module record %d differs", name, i)
			}
		}
		path := filepath.Join(t.TempDir(), "m.rdb")
		os.WriteFile(path, out, 0o644)
		if msg, err := exec.Command(testutil.Program(t, "redis-check-rdb"), path).CombinedOutput(); err != nil {
			t.Errorf("%s: redis-check-rdb: %v\n%s", name, err, msg)
		}
	}
}

type moduleVisitor struct {
	NopVisitor
	mods *[]Module
}

func (m *moduleVisitor) ModuleAux(x *Module) error {
	*m.mods = append(*m.mods, *x)
	return nil
}

func (m *moduleVisitor) ModuleValue(_ *Key, x *Module) error {
	*m.mods = append(*m.mods, *x)
	return nil
}

// TestEncoderTable: a value a server holds in its large encoding is
// written as that encoding's RDB type however small it is (Redis 7.0
// rdbSaveObject), a skiplist from its tail; without Table the default
// thresholds choose, as kv-rdb convert needs.
func TestEncoderTable(t *testing.T) {
	ms := []ZSetEntry{{[]byte("a"), 1}, {[]byte("b"), 2}}
	cases := []struct {
		v       Value
		typ     byte
		from2nd []byte // the bytes after the type, before the footer
	}{
		{Value{Kind: KindZSet, Members: ms, Table: true}, TypeZSet2,
			[]byte("\x02\x01b\x00\x00\x00\x00\x00\x00\x00\x40\x01a\x00\x00\x00\x00\x00\x00\xf0\x3f")},
		{Value{Kind: KindSet, Elems: [][]byte{[]byte("1"), []byte("x")}, Table: true}, TypeSet,
			[]byte("\x02\xc0\x01\x01x")},
		{Value{Kind: KindHash, Fields: []HashEntry{{[]byte("f"), []byte("v"), -1}}, Table: true}, TypeHash,
			[]byte("\x01\x01f\x01v")},
		{Value{Kind: KindZSet, Members: ms}, TypeZSetListpack, nil},
		{Value{Kind: KindSet, Elems: [][]byte{[]byte("1")}}, TypeSetIntset, nil},
		{Value{Kind: KindHash, Fields: []HashEntry{{[]byte("f"), []byte("v"), -1}}}, TypeHashListpack, nil},
	}
	for i, c := range cases {
		p, err := AppendDumpPayload(nil, &c.v, DefaultVersion)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if p[0] != c.typ {
			t.Errorf("case %d: type %d, want %d", i, p[0], c.typ)
		}
		if body := p[1 : len(p)-10]; c.from2nd != nil && !bytes.Equal(body, c.from2nd) {
			t.Errorf("case %d: %q, want %q", i, body, c.from2nd)
		}
	}
}

// streamNodes collects a stream node by node (StreamNodeVisitor).
type streamNodes struct {
	NopVisitor
	nodes   []StreamNode
	meta    *StreamMeta
	entries int
}

func (s *streamNodes) StreamNode(_ *Key, master StreamID, lp []byte) error {
	s.nodes = append(s.nodes, StreamNode{master, bytes.Clone(lp)})
	return nil
}

func (s *streamNodes) StreamEntry(*Key, *StreamEntry) error { s.entries++; return nil }

func (s *streamNodes) StreamMeta(_ *Key, m *StreamMeta) error { s.meta = m; return nil }

// TestStreamNodes: a stream read node by node and written back from its
// nodes gives Redis 7.0's DUMP payload byte for byte (two nodes with
// tombstones, two groups, one with entries-read unknown), and no entry is
// passed one by one.
func TestStreamNodes(t *testing.T) {
	// DUMP of a stream in redis-server 7.0.15 (stream-node-max-entries 2;
	// XDEL of two entries; XGROUP CREATE g1 0 and g2 $ ENTRIESREAD 3).
	payload := []byte("\x13\x02\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x03..\x00\x00\x00\x11\x00\x02\x01\x00\x01\x01\x01\x81g\x02\x00\x01\x02\x01\x00\x01\x00\x01\x81w\x02\x04\x01\x00\x01\x01\x01\xdf\xfd\x02\x01\x01\x81f\x02\x81v\x02\x06\x01\xff\x10\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01\x1e\x1e\x00\x00\x00\n\x00\x01\x01\x00\x01\x01\x01\x81f\x02\x00\x01\x02\x01\x00\x01\x00\x01\xf190\x03\x04\x01\xff\x03\x02\x01\x01\x03\x01\x02\x05\x02\x02g1\x00\x00\x81\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x02g2\x02\x01\x03\x00\x00\n\x00P\x80>\x7f\x9b\xd76&")
	body := payload[:len(payload)-10]
	file := append([]byte("REDIS0010"), body[0], 1, 'k')
	file = append(append(file, body[1:]...), OpEOF)
	file = append(file, make([]byte, 8)...)
	sn := &streamNodes{}
	if err := NewDecoder(bytes.NewReader(file)).Decode(sn); err != nil {
		t.Fatal(err)
	}
	if len(sn.nodes) != 2 || sn.entries != 0 || sn.meta == nil {
		t.Fatalf("%d nodes, %d entries one by one, meta %v", len(sn.nodes), sn.entries, sn.meta)
	}
	got, err := AppendDumpPayload(nil, &Value{Kind: KindStream, StreamNodes: sn.nodes, Stream: sn.meta}, DefaultVersion)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("payload from the nodes:\n%q\nwant\n%q", got, payload)
	}
}
