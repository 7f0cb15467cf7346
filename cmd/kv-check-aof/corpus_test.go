package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/testutil"
	"github.com/kvkit/kvkit/libaof"
)

// redisVerdict is what redis-check-aof 7.0.15 said about a case.
type redisVerdict struct {
	valid  bool
	file   string // base name of the first file that is not valid
	okUpTo int64  // its ok_up_to; -1 when redis-check-aof gave none
}

var (
	analyzedRE = regexp.MustCompile(`AOF analyzed: filename=(.*), size=(\d+), ok_up_to=(\d+), ok_up_to_line=\d+, diff=(\d+)`)
	cannotRE   = regexp.MustCompile(`Cannot open file (.*): [A-Z][^:]*(, aborting...)?$`)
	rdbFileRE  = regexp.MustCompile(`Checking RDB file (.*)`)
	exitRE     = regexp.MustCompile(`(?m)^exit status: (\d+)$`)
)

// parseRedisCheck reads redis-check-aof's output (check.txt, or a live run
// followed by "exit status: N").
func parseRedisCheck(t *testing.T, out string) redisVerdict {
	t.Helper()
	m := exitRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no exit status in redis-check-aof output:\n%s", out)
	}
	v := redisVerdict{valid: m[1] == "0", okUpTo: -1}
	if v.valid {
		return v
	}
	for _, line := range strings.Split(out, "\n") {
		if a := analyzedRE.FindStringSubmatch(line); a != nil && a[4] != "0" {
			v.file = filepath.Base(a[1])
			v.okUpTo, _ = strconv.ParseInt(a[3], 10, 64)
			return v
		}
		if c := cannotRE.FindStringSubmatch(line); c != nil {
			v.file = filepath.Base(c[1])
			return v
		}
		if r := rdbFileRE.FindStringSubmatch(line); r != nil {
			v.file = filepath.Base(r[1]) // a preamble that is "not sane" ends the output
		}
	}
	if v.file == "" && !strings.Contains(out, "is not sane") && !strings.Contains(out, "MANIFEST") {
		t.Fatalf("cannot tell which file redis-check-aof rejected:\n%s", out)
	}
	return v
}

// compareVerdict fails when kv-check-aof's report disagrees with redis-check-aof.
func compareVerdict(t *testing.T, rep *libaof.Report, want redisVerdict) {
	t.Helper()
	if rep.Valid != want.valid {
		t.Fatalf("valid = %v, redis-check-aof says %v (report: %+v)", rep.Valid, want.valid, rep)
	}
	if want.valid || want.file == "" {
		return
	}
	if rep.ManifestError != nil && want.file == filepath.Base(rep.Manifest) {
		return // redis-check-aof took the damaged manifest for a RESP AOF
	}
	if rep.Problem < 0 {
		t.Fatalf("no problem file in the report, redis-check-aof rejects %s", want.file)
	}
	got := rep.Files[rep.Problem]
	if filepath.Base(got.Name) != want.file {
		t.Fatalf("first bad file = %s (%s: %s), redis-check-aof says %s", got.Name, got.Verdict, got.Reason, want.file)
	}
	if want.okUpTo >= 0 && got.OKUpTo != want.okUpTo {
		t.Fatalf("%s: ok_up_to = %d (%s at %d: %s), redis-check-aof says %d", got.Name, got.OKUpTo, got.Verdict, got.ErrorOffset, got.Reason, want.okUpTo)
	}
}

func aofTestdata(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testutil.RepoRoot(t), "..", "shared", "testdata", "aof")
	if _, err := os.Stat(filepath.Join(dir, "redis-7.0")); err != nil {
		t.Fatalf("AOF test data missing: %v (expected ../shared/testdata/aof next to the repository; see shared/testdata/README.md)", err)
	}
	return dir
}

// copyTree copies src (a file or directory) to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sameTree fails unless the regular files under a and b are byte-identical.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	files := func(root string) map[string][]byte {
		m := map[string][]byte{}
		filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
			if err == nil && info.Mode().IsRegular() {
				rel, _ := filepath.Rel(root, p)
				m[rel], _ = os.ReadFile(p)
			}
			return nil
		})
		return m
	}
	fa, fb := files(a), files(b)
	if len(fa) != len(fb) {
		t.Fatalf("%s has %d files, %s has %d", a, len(fa), b, len(fb))
	}
	for name, data := range fa {
		if other, ok := fb[name]; !ok || !bytes.Equal(data, other) {
			t.Fatalf("%s differs: %d bytes vs %d bytes (present: %v)", name, len(data), len(other), ok)
		}
	}
}

type corpusCase struct {
	name   string // for the subtest
	src    string // what to copy (a file or a directory)
	target string // the path to check, relative to the copy's parent
	check  string // redis-check-aof's output
	fix    string // redis-check-aof --fix output, "" if none
	fixed  string // fixed-by-check-aof directory, "" if none
}

func corpusCases(t *testing.T) []corpusCase {
	root := aofTestdata(t)
	var cases []corpusCase
	dirs, _ := filepath.Glob(filepath.Join(root, "redis-7.0", "*"))
	for _, d := range dirs {
		c := corpusCase{name: filepath.Base(d), check: filepath.Join(d, "check.txt")}
		if _, err := os.Stat(filepath.Join(d, "appendonlydir")); err == nil {
			c.src, c.target = filepath.Join(d, "appendonlydir"), "appendonlydir/appendonly.aof.manifest"
		} else {
			c.src, c.target = filepath.Join(d, "appendonly.aof"), "appendonly.aof"
		}
		if _, err := os.Stat(filepath.Join(d, "fix.txt")); err == nil {
			c.fix = filepath.Join(d, "fix.txt")
		}
		if _, err := os.Stat(filepath.Join(d, "fixed-by-check-aof")); err == nil {
			c.fixed = filepath.Join(d, "fixed-by-check-aof")
		}
		cases = append(cases, c)
	}
	checks, _ := filepath.Glob(filepath.Join(root, "public", "*", "*.check.txt"))
	for _, ct := range checks {
		f := strings.TrimSuffix(ct, ".check.txt")
		cases = append(cases, corpusCase{name: "public/" + filepath.Base(f), src: f, target: filepath.Base(f), check: ct})
	}
	cases = append(cases, corpusCase{name: "public/RedisShake", src: filepath.Join(root, "public", "RedisShake", "appendonlydir"),
		target: "appendonlydir/appendonly.aof.manifest", check: filepath.Join(root, "public", "RedisShake", "check.txt")})
	if len(cases) < 15 {
		t.Fatalf("only %d AOF cases found under %s", len(cases), root)
	}
	return cases
}

// TestCorpusAgreesWithRedisCheckAOF checks every case of
// ../shared/testdata/aof: same verdict as redis-check-aof 7.0.15 (valid or
// not, same file, same ok_up_to), and after --fix the same bytes as its
// fixed copy, or a refusal where it refused.
func TestCorpusAgreesWithRedisCheckAOF(t *testing.T) {
	for _, c := range corpusCases(t) {
		t.Run(c.name, func(t *testing.T) {
			work := t.TempDir()
			copyTree(t, c.src, filepath.Join(work, filepath.Base(c.src)))
			target := filepath.Join(work, c.target)
			out, err := os.ReadFile(c.check)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := libaof.Check(target, &libaof.Options{Preamble: preambleChecker})
			if err != nil {
				t.Fatal(err)
			}
			compareVerdict(t, rep, parseRedisCheck(t, string(out)))
			if c.fix == "" {
				return
			}
			fixOut, _ := os.ReadFile(c.fix)
			plan, err := rep.PlanFix(false)
			if c.fixed == "" {
				if err == nil {
					t.Fatalf("redis-check-aof --fix refused, kv-check-aof plans %+v", plan)
				}
				if !strings.Contains(string(fixOut), "exit status: 1") {
					t.Fatalf("no fixed copy, yet redis-check-aof --fix succeeded:\n%s", fixOut)
				}
				return
			}
			if err != nil || plan == nil {
				t.Fatalf("redis-check-aof --fix repaired the case, kv-check-aof refuses: %v", err)
			}
			if _, err := plan.Apply(t.TempDir()); err != nil {
				t.Fatal(err)
			}
			sameTree(t, filepath.Join(work, filepath.Base(c.src)), filepath.Join(c.fixed, filepath.Base(c.src)))
			after, err := libaof.Check(target, &libaof.Options{Preamble: preambleChecker})
			if err != nil || !after.Valid {
				t.Fatalf("after the fix: valid=%v err=%v", after != nil && after.Valid, err)
			}
		})
	}
}
