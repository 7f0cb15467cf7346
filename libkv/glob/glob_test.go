package glob

import (
	"context"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/kvkit/kvkit/internal/testutil"
	"github.com/redis/go-redis/v9"
)

// cases are Redis 7.0 stringmatchlen's answers, including its quirks; the
// case-sensitive ones are also checked against a real redis-server by
// TestKeysAgainstRedis.
var cases = []struct {
	pattern, str string
	nocase       bool
	want         bool
}{
	{"*", "abc", false, true},
	{"*", "", false, false}, // an empty string matches nothing
	{"**", "", false, false},
	{"", "", false, true},
	{"", "a", false, false},
	{"a*", "a", false, true}, // trailing stars match the empty rest
	{"a**", "a", false, true},
	{"a*b", "ab", false, true},
	{"a*b", "axxb", false, true},
	{"a*b", "axxbx", false, false},
	{"?", "", false, false},
	{"?", "a", false, true},
	{"??", "a", false, false},
	{"h?llo", "hello", false, true},
	{"h[ae]llo", "hallo", false, true},
	{"h[ae]llo", "hillo", false, false},
	{"h[^e]llo", "hallo", false, true},
	{"h[^e]llo", "hello", false, false},
	{"h[a-b]llo", "hbllo", false, true},
	{"h[b-a]llo", "hbllo", false, true}, // reversed range
	{"[]", "a", false, false},           // empty class
	{"[]a]", "]", false, false},         // "]" closes at once: then "a]"
	{"[]a]", "a]", false, false},
	{"[abc", "b", false, true}, // unterminated class closes at the end
	{"[abc", "d", false, false},
	{"[", "[", false, false},  // "[" at the end matches nothing
	{"[^", "x", false, true},  // "[^" at the end matches any byte
	{"a[", "a", false, false}, // needs a byte
	{"\\*", "*", false, true},
	{"\\*", "a", false, false},
	{"a\\", "a\\", false, true}, // trailing backslash is literal
	{"[\\]]", "]", false, true},
	{"[\\", "\\", false, true},
	{"[a\\-z]", "-", false, true},
	{"[a\\-z]", "b", false, false},
	{"[a-]", "-", false, false}, // the range a-] (swapped: ]-a), class unterminated
	{"[a-]", "_", false, true},
	{"HELLO", "hello", true, true},
	{"HELLO", "hello", false, false},
	{"[A-C]x", "bX", true, true},
	{"[\\A]", "a", true, false}, // escaped bytes in a class keep their case
	{"[\\A]", "A", true, true},
	{"[a-\xc8]", "-", false, true}, // signed chars: 0xc8 sorts below 'a'
	{"[a-\xc8]", "\xd0", false, true},
	{"[a-\xc8]", "b", false, false},
	{"[a-\xc8]", "-", true, false}, // nocase lowers -56 to 200: empty range
	{"\xc8", "\xc8", true, true},
	{"[\xff-\xff]", "\xff", true, true}, // tolower(EOF) is EOF
}

func TestMatchCases(t *testing.T) {
	for _, c := range cases {
		if got := MatchString(c.pattern, c.str, c.nocase); got != c.want {
			t.Errorf("Match(%q, %q, nocase=%v) = %v, want %v", c.pattern, c.str, c.nocase, got, c.want)
		}
	}
}

// TestMatchNesting checks Redis's limit on '*' nesting: 1000 levels match,
// one more matches nothing.
func TestMatchNesting(t *testing.T) {
	str := strings.Repeat("a", maxNesting+2)
	ok := strings.Repeat("a*", maxNesting) + "a"
	deep := strings.Repeat("a*", maxNesting+1) + "a"
	if !MatchString(ok, str, false) {
		t.Errorf("%d nested stars: no match, want a match", maxNesting)
	}
	if MatchString(deep, str, false) {
		t.Errorf("%d nested stars: match, want none", maxNesting+1)
	}
}

// TestMatchAbusive runs patterns that take exponential time without
// Redis's skipLongerMatches; it finishes only if the guard works.
func TestMatchAbusive(t *testing.T) {
	for _, n := range []int{10, 30, 100, 500} {
		str := strings.Repeat("a", 4*n)
		if MatchString(strings.Repeat("a*", n)+"b", str, false) {
			t.Errorf("a*...b matched %d a's", 4*n)
		}
		if MatchString(strings.Repeat("*a", n)+"*b", str, true) {
			t.Errorf("*a...*b matched %d a's", 4*n)
		}
		if MatchString(strings.Repeat("?*", n)+"[b]", str, false) {
			t.Errorf("?*...[b] matched %d a's", 4*n)
		}
	}
}

// alphabet holds the bytes that random keys and patterns are made of: few
// enough that patterns often match, with every special byte, both cases and
// bytes above 0x7f (signed in C).
const alphabet = "abcAB1-^[]*?\\\x00\x80\xc8\xff"

// randomString returns up to max bytes drawn from chars.
func randomString(r *rand.Rand, max int, chars string) string {
	b := make([]byte, r.IntN(max+1))
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

// keysMatch is what KEYS pattern returns over keys: Redis answers the
// pattern "*" without the matcher (db.c keysCommand), so it also lists the
// empty key, which Match("*", "") rejects.
func keysMatch(pattern string, keys []string) []string {
	var out []string
	for _, k := range keys {
		if pattern == "*" || MatchString(pattern, k, false) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// TestKeysAgainstRedis compares KEYS pattern from a real Redis 7.0 with
// Match over the same keys, for seeded random patterns.
func TestKeysAgainstRedis(t *testing.T) {
	srv := testutil.StartRedis(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()

	r := rand.New(rand.NewPCG(7, 70))
	seen := map[string]bool{}
	var keys []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, c := range cases {
		add(c.str)
	}
	for range 400 {
		add(randomString(r, 6, alphabet+"aaab"))
	}
	pipe := rdb.Pipeline()
	for _, k := range keys {
		pipe.Set(ctx, k, "1", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}

	var patterns []string
	for _, c := range cases {
		if !c.nocase {
			patterns = append(patterns, c.pattern)
		}
	}
	for range 800 {
		patterns = append(patterns, randomString(r, 8, alphabet+"****??[[]]"))
	}
	patterns = append(patterns,
		strings.Repeat("a*", 1000)+"a", strings.Repeat("a*", 1001)+"a",
		strings.Repeat("*a", 50)+"*b")
	add(strings.Repeat("a", 1002))
	if err := rdb.Set(ctx, strings.Repeat("a", 1002), "1", 0).Err(); err != nil {
		t.Fatal(err)
	}

	matching := 0 // patterns that select some keys, so the test is not vacuous
	for start := 0; start < len(patterns); start += 100 {
		batch := patterns[start:min(start+100, len(patterns))]
		pipe := rdb.Pipeline()
		cmds := make([]*redis.StringSliceCmd, len(batch))
		for i, p := range batch {
			cmds[i] = pipe.Keys(ctx, p)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for i, p := range batch {
			want := cmds[i].Val()
			slices.Sort(want)
			if len(want) > 0 {
				matching++
			}
			if got := keysMatch(p, keys); !slices.Equal(got, want) {
				t.Errorf("KEYS %q: Redis returned %q, Match selects %q", p, want, got)
			}
		}
	}
	t.Logf("%d of %d patterns select keys", matching, len(patterns))
	if matching < len(patterns)/4 {
		t.Errorf("only %d of %d patterns select any key: the test checks too little", matching, len(patterns))
	}
}

// configPattern derives a pattern from a configuration name, so that many
// patterns select some names: each byte is kept (in either case), replaced
// by '?', '*', a class or a range (some reversed or with bytes above 0x7f,
// where case folding in ranges is odd), or escaped. It never writes NUL,
// which ends a CONFIG GET pattern (Redis matches it as a C string there).
func configPattern(r *rand.Rand, name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if r.IntN(2) == 0 && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		switch r.IntN(12) {
		case 0:
			b.WriteByte('?')
		case 1:
			b.WriteByte('*')
			i += r.IntN(4)
		case 2:
			b.Write([]byte{'[', c, '-', c + byte(r.IntN(5)), ']'})
		case 3:
			b.Write([]byte{'[', c + byte(r.IntN(5)), '-', c, ']'})
		case 4:
			ends := "\x80\xc8\xffaAzZ-"
			b.Write([]byte{'[', ends[r.IntN(len(ends))], '-', c, ']'})
		case 5:
			b.Write([]byte{'[', '^', c + 1, ']'})
		case 6:
			b.Write([]byte{'\\', c})
		default:
			b.WriteByte(c)
		}
	}
	if r.IntN(3) == 0 {
		b.WriteString(randomString(r, 3, "*?[]^\\-a\xc8"))
	}
	return b.String()
}

// TestConfigGetAgainstRedis exercises nocase: CONFIG GET matches its
// patterns against configuration names without regard to case.
func TestConfigGetAgainstRedis(t *testing.T) {
	srv := testutil.StartRedis(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()

	all, err := rdb.ConfigGet(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	names := slices.Sorted(maps.Keys(all))
	r := rand.New(rand.NewPCG(8, 80))
	matching := 0
	const n = 300
	for range n {
		// Redis looks a pattern without "[*?" up by name instead of
		// matching it (config.c configGetCommand), so every pattern here
		// has one of them.
		var p string
		for !strings.ContainsAny(p, "[*?") {
			p = configPattern(r, names[r.IntN(len(names))])
		}
		got, err := rdb.ConfigGet(ctx, p).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 {
			matching++
		}
		for name := range all {
			_, inRedis := got[name]
			if m := MatchString(p, name, true); m != inRedis {
				t.Errorf("CONFIG GET %q: Redis lists %q: %v, Match: %v", p, name, inRedis, m)
			}
		}
	}
	t.Logf("%d of %d patterns select names", matching, n)
	if matching < n/4 {
		t.Errorf("only %d of %d patterns select any name: the test checks too little", matching, n)
	}
}

func FuzzMatch(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c.pattern), []byte(c.str), c.nocase)
	}
	f.Fuzz(func(t *testing.T, pattern, str []byte, nocase bool) {
		got := Match(pattern, str, nocase)
		// A pattern with no special byte matches only itself.
		if !strings.ContainsAny(string(pattern), "*?[\\") {
			want := string(pattern) == string(str)
			if nocase {
				want = asciiLower(pattern) == asciiLower(str)
			}
			// An empty string matches only the empty pattern.
			want = want && (len(str) > 0 || len(pattern) == 0)
			if got != want {
				t.Fatalf("Match(%q, %q, %v) = %v, want %v", pattern, str, nocase, got, want)
			}
		}
	})
}

// asciiLower lowers ASCII letters only, as Redis's tolower in the C locale.
func asciiLower(b []byte) string {
	out := []byte(string(b))
	for i, c := range out {
		if c >= 'A' && c <= 'Z' {
			out[i] = c + 'a' - 'A'
		}
	}
	return string(out)
}

func BenchmarkMatch(b *testing.B) {
	for _, c := range []struct{ name, pattern, str string }{
		{"prefix", "user:*", "user:1000:profile"},
		{"middle", "user:*:profile", "user:1000:profile"},
		{"class", "user:[0-9][0-9][0-9][0-9]:*", "user:1000:profile"},
		{"abusive", strings.Repeat("a*", 30) + "b", strings.Repeat("a", 100)},
	} {
		p, s := []byte(c.pattern), []byte(c.str)
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				Match(p, s, false)
			}
		})
	}
}
