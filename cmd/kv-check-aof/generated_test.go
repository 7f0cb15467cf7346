package main

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvkit/kvkit/internal/testutil"
	"github.com/kvkit/kvkit/libaof"
)

// runRedisCheckAOF runs redis-check-aof in dir with args and returns its
// output followed by "exit status: N", as check.txt records it.
func runRedisCheckAOF(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testutil.Program(t, "redis-check-aof"), args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("redis-check-aof: %v", err)
	}
	return fmt.Sprintf("%s\nexit status: %d\n", out, code)
}

// TestGeneratedCasesAgreeWithRedisCheckAOF damages copies of the real
// multi-part AOFs that redis-server 7.0.15 wrote (../shared/testdata/aof
// and rdb/redis-7.0, made by shared/tools/gen-aof-cases.sh and
// gen-corpus.sh), and old-style single AOFs from public repositories: random truncation points, random
// byte overwrites and random insertions in a random file, manifest
// included. kv-check-aof's verdict must agree with redis-check-aof's on the
// same bytes, and where redis-check-aof --fix repairs, kv-check-aof's fix
// must give the same bytes. Seeded and bounded: 30 cases.
func TestGeneratedCasesAgreeWithRedisCheckAOF(t *testing.T) {
	root := aofTestdata(t)
	sources := []string{
		filepath.Join(root, "redis-7.0", "mp-clean-preamble", "appendonlydir"),
		filepath.Join(root, "redis-7.0", "mp-clean-resp", "appendonlydir"),
		// gen-corpus.sh's 2000-key directories: every RDB encoding in the BASE.
		filepath.Join(root, "..", "rdb", "redis-7.0", "aof-preamble", "appendonlydir"),
		filepath.Join(root, "..", "rdb", "redis-7.0", "aof-resp", "appendonlydir"),
		// Old-style single files: RESP from Redis 3.x-7.x, and an RDB preamble.
		filepath.Join(root, "public", "redis-replicator", "appendonly5.aof"),
		filepath.Join(root, "public", "redis-replicator", "appendonly-with-ts.aof"),
		filepath.Join(root, "public", "redis", "rdb-preamble.aof"),
	}
	seed := time.Now().UnixNano()
	if s := os.Getenv("KVKIT_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (set KVKIT_SEED to repeat)", seed)
	rng := rand.New(rand.NewSource(seed))
	for i := 0; i < 30; i++ {
		src := sources[rng.Intn(len(sources))]
		work := t.TempDir()
		base := filepath.Base(src)
		copyTree(t, src, filepath.Join(work, base))
		target := base
		names := []string{filepath.Join(work, base)}
		if base == "appendonlydir" {
			target = "appendonlydir/appendonly.aof.manifest"
			names, _ = filepath.Glob(filepath.Join(work, base, "*"))
		}
		victim := names[rng.Intn(len(names))]
		if strings.HasSuffix(victim, ".manifest") && rng.Intn(3) != 0 {
			victim = names[rng.Intn(len(names))] // the manifest less often
		}
		data, err := os.ReadFile(victim)
		if err != nil || len(data) == 0 {
			t.Fatal(victim, err)
		}
		var what string
		switch rng.Intn(3) {
		case 0:
			n := rng.Intn(len(data))
			data, what = data[:n], fmt.Sprintf("truncated to %d", n)
		case 1:
			at, b := rng.Intn(len(data)), byte(rng.Intn(256))
			data[at], what = b, fmt.Sprintf("byte %d set to 0x%02x", at, b)
		default:
			at, junk := rng.Intn(len(data)+1), []byte{byte(rng.Intn(256)), byte(rng.Intn(256))}
			data = append(data[:at], append(junk, data[at:]...)...)
			what = fmt.Sprintf("0x%02x%02x inserted at %d", junk[0], junk[1], at)
		}
		if err := os.WriteFile(victim, data, 0o644); err != nil {
			t.Fatal(err)
		}
		desc := fmt.Sprintf("case %d: %s of %s: %s", i, filepath.Base(victim), src, what)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Log(desc)
			out := runRedisCheckAOF(t, work, "", target)
			want := parseRedisCheck(t, out)
			rep, err := libaof.Check(filepath.Join(work, target), &libaof.Options{Preamble: preambleChecker})
			if err != nil {
				if !want.valid {
					return // not a manifest any more (both reject it); kv-check-aof needs it named
				}
				t.Fatal(err)
			}
			if why := knownDeviation(rep, want); why != "" {
				t.Log("known deviation from redis-check-aof: " + why)
				return
			}
			if t.Run("verdict", func(t *testing.T) { compareVerdict(t, rep, want) }) && !want.valid {
				compareFix(t, work, base, target, rep)
			}
		})
	}
}

// knownDeviation explains where kv-check-aof disagrees with
// redis-check-aof 7.0 on purpose, or "" if this is not such a case.
func knownDeviation(rep *libaof.Report, want redisVerdict) string {
	if want.valid && rep.ManifestError != nil && rep.ManifestError.Reason == "Found an empty AOF manifest" {
		// redis-check-aof takes an empty manifest for an empty old-style
		// AOF and says valid; redis-server refuses to start on it.
		return "empty manifest"
	}
	if p := rep.Problem; !want.valid && p >= 0 && rep.Files[p].Format == "rdb-preamble" &&
		strings.Contains(rep.Files[p].Reason, "bad RDB version") {
		// redis-check-rdb reads the version with atoi ("001\xa5" is 1) and
		// then finds the RDB ending elsewhere; both reject the file.
		return "damaged RDB version number"
	}
	return ""
}

// compareFix repairs two copies of work/base, one with redis-check-aof --fix
// and one with kv-check-aof's plan, and compares the outcome.
func compareFix(t *testing.T, work, base, target string, rep *libaof.Report) {
	t.Helper()
	theirs := t.TempDir()
	copyTree(t, filepath.Join(work, base), filepath.Join(theirs, base))
	out := runRedisCheckAOF(t, theirs, "y\n", "--fix", target)
	redisFixed := strings.HasSuffix(out, "exit status: 0\n")
	plan, err := rep.PlanFix(false)
	if !redisFixed {
		if err == nil && plan != nil {
			t.Fatalf("redis-check-aof --fix refused, kv-check-aof would %+v\n%s", plan, out)
		}
		return
	}
	if rep.ManifestError != nil {
		// redis-check-aof took the damaged manifest for a RESP AOF and
		// truncated it; kv-check-aof refuses to, deliberately.
		t.Logf("redis-check-aof --fix truncated the damaged manifest; kv-check-aof refuses: %v", err)
		return
	}
	if err != nil || plan == nil {
		t.Fatalf("redis-check-aof --fix repaired, kv-check-aof refuses: %v\n%s", err, out)
	}
	if _, err := plan.Apply(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	sameTree(t, filepath.Join(work, base), filepath.Join(theirs, base))
}

// TestTruncateToTimestampAgrees compares --truncate-to-timestamp with
// redis-check-aof's on the same copies: a single file and a multi-part
// directory whose last INCR file gets a later "#TS:" annotation and command.
func TestTruncateToTimestampAgrees(t *testing.T) {
	root := aofTestdata(t)
	later := "#TS:1795210200\r\n*3\r\n$3\r\nSET\r\n$5\r\nlater\r\n$1\r\nx\r\n"
	for _, c := range []struct {
		src, target, appendTo string
		ts                    string
	}{
		{"oldstyle-handmade/appendonly.aof", "appendonly.aof", "appendonly.aof", "1700000050"},
		{"mp-clean-resp/appendonlydir", "appendonlydir/appendonly.aof.manifest", "appendonlydir/appendonly.aof.3.incr.aof", "1795210150"},
		{"mp-clean-resp/appendonlydir", "appendonlydir/appendonly.aof.manifest", "appendonlydir/appendonly.aof.3.incr.aof", "1795210300"},
	} {
		t.Run(c.src+"@"+c.ts, func(t *testing.T) {
			var dirs [2]string
			for i := range dirs {
				dirs[i] = t.TempDir()
				copyTree(t, filepath.Join(root, "redis-7.0", c.src), filepath.Join(dirs[i], filepath.Base(c.src)))
				f, err := os.OpenFile(filepath.Join(dirs[i], c.appendTo), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteString(later)
				f.Close()
			}
			out := runRedisCheckAOF(t, dirs[0], "", "--truncate-to-timestamp", c.ts, c.target)
			if !strings.HasSuffix(out, "exit status: 0\n") {
				t.Fatalf("redis-check-aof failed:\n%s", out)
			}
			var ts int64
			fmt.Sscan(c.ts, &ts)
			rep, err := libaof.Check(filepath.Join(dirs[1], c.target), &libaof.Options{Preamble: preambleChecker, ToTimestamp: ts})
			if err != nil {
				t.Fatal(err)
			}
			plan, err := rep.PlanTimestamp(false)
			if err != nil {
				t.Fatal(err)
			}
			if plan != nil {
				if _, err := plan.Apply(t.TempDir()); err != nil {
					t.Fatal(err)
				}
			} else if !strings.Contains(out, "Truncate nothing") {
				t.Fatalf("kv-check-aof finds nothing to cut, redis-check-aof:\n%s", out)
			}
			sameTree(t, filepath.Join(dirs[0], filepath.Base(c.src)), filepath.Join(dirs[1], filepath.Base(c.src)))
		})
	}
}
