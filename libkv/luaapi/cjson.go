package luaapi

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// cjsonNull is cjson.null, lua-cjson's NULL light userdata.
var cjsonNull = &lua.LUserData{}

// cjsonConfig holds lua-cjson's settings (shared by the state, as
// lua-cjson's are per module instance).
type cjsonConfig struct {
	precision           int
	maxDepth, decDepth  int
	sparseConvert       bool
	sparseRatio, sparse int
}

var cjsonDefaults = cjsonConfig{precision: 14, maxDepth: 1000, decDepth: 1000, sparseRatio: 2, sparse: 10}

func openCjson(L *lua.LState, t *lua.LTable) {
	t.RawSetString("null", cjsonNull)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
}

func cjsonConf(L *lua.LState) *cjsonConfig {
	if ud, ok := L.GetField(L.Get(lua.RegistryIndex), "luaapi.cjson").(*lua.LUserData); ok {
		return ud.Value.(*cjsonConfig)
	}
	c := cjsonDefaults
	ud := L.NewUserData()
	ud.Value = &c
	L.SetField(L.Get(lua.RegistryIndex), "luaapi.cjson", ud)
	return &c
}

// cjsonFuncs is lua-cjson 2.1's API as Redis ships it.
var cjsonFuncs = map[string]lua.LGFunction{
	"encode": func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.ArgError(1, "expected 1 argument")
		}
		var b strings.Builder
		cjsonEncode(L, cjsonConf(L), &b, L.Get(1), 0)
		L.Push(lua.LString(b.String()))
		return 1
	},
	"decode": func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.ArgError(1, "expected 1 argument")
		}
		d := &jsonDecoder{L: L, s: L.CheckString(1), max: cjsonConf(L).decDepth}
		v := d.value(0)
		d.space()
		if d.i < len(d.s) {
			d.fail("the end", d.token())
		}
		L.Push(v)
		return 1
	},
	"encode_keep_buffer":     func(L *lua.LState) int { return cjsonBool(L, nil) },
	"encode_invalid_numbers": func(L *lua.LState) int { return cjsonBool(L, nil) },
	"decode_invalid_numbers": func(L *lua.LState) int { return cjsonBool(L, nil) },
	"encode_max_depth":       func(L *lua.LState) int { return cjsonInt(L, &cjsonConf(L).maxDepth, 1, math.MaxInt32) },
	"decode_max_depth":       func(L *lua.LState) int { return cjsonInt(L, &cjsonConf(L).decDepth, 1, math.MaxInt32) },
	"encode_number_precision": func(L *lua.LState) int {
		return cjsonInt(L, &cjsonConf(L).precision, 1, 14)
	},
	"encode_sparse_array": func(L *lua.LState) int {
		c := cjsonConf(L)
		if L.GetTop() >= 1 {
			c.sparseConvert = L.ToBool(1)
		}
		if L.GetTop() >= 2 {
			c.sparseRatio = L.CheckInt(2)
		}
		if L.GetTop() >= 3 {
			c.sparse = L.CheckInt(3)
		}
		L.Push(lua.LBool(c.sparseConvert))
		L.Push(lua.LNumber(c.sparseRatio))
		L.Push(lua.LNumber(c.sparse))
		return 3
	},
}

// cjsonBool is a setting kv-server accepts and keeps at its default.
func cjsonBool(L *lua.LState, _ *bool) int {
	L.Push(lua.LTrue)
	return 1
}

func cjsonInt(L *lua.LState, p *int, lo, hi int) int {
	if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
		n := L.CheckInt(1)
		if n < lo || n > hi {
			L.ArgError(1, "expected integer between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
		}
		*p = n
	}
	L.Push(lua.LNumber(*p))
	return 1
}

// cjsonNumber formats as lua-cjson's "%.14g".
func cjsonNumber(L *lua.LState, f float64, prec int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		L.RaiseError("Cannot serialise number: must not be NaN or Inf")
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	s := strconv.FormatFloat(f, 'g', prec, 64)
	if strings.ContainsAny(s, "e") {
		// C's %g writes at least two exponent digits, as Go does.
		return s
	}
	return s
}

func cjsonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				b.WriteString(`\u00`)
				b.WriteByte("0123456789abcdef"[c>>4])
				b.WriteByte("0123456789abcdef"[c&15])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// cjsonEncode appends v as lua-cjson's json_append_data. Object members
// come in gopher-lua's table order, which need not be Lua 5.1's.
func cjsonEncode(L *lua.LState, c *cjsonConfig, b *strings.Builder, v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LString:
		cjsonString(b, string(v))
	case lua.LNumber:
		b.WriteString(cjsonNumber(L, float64(v), c.precision))
	case lua.LBool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case *lua.LNilType:
		b.WriteString("null")
	case *lua.LUserData:
		if v != cjsonNull {
			L.RaiseError("Cannot serialise userdata: type not supported")
		}
		b.WriteString("null")
	case *lua.LTable:
		depth++
		if depth > c.maxDepth {
			L.RaiseError("Cannot serialise, excessive nesting (%d)", depth)
		}
		n := cjsonArrayLength(L, c, v)
		if n > 0 {
			b.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				cjsonEncode(L, c, b, v.RawGetInt(i), depth)
			}
			b.WriteByte(']')
			return
		}
		b.WriteByte('{')
		first := true
		v.ForEach(func(k, val lua.LValue) {
			if !first {
				b.WriteByte(',')
			}
			first = false
			switch k := k.(type) {
			case lua.LString:
				cjsonString(b, string(k))
			case lua.LNumber:
				b.WriteByte('"')
				b.WriteString(cjsonNumber(L, float64(k), c.precision))
				b.WriteByte('"')
			default:
				L.RaiseError("Cannot serialise %s: table key must be a number or string", k.Type().String())
			}
			b.WriteByte(':')
			cjsonEncode(L, c, b, val, depth)
		})
		b.WriteByte('}')
	default:
		L.RaiseError("Cannot serialise %s: type not supported", v.Type().String())
	}
}

// cjsonArrayLength is lua-cjson's lua_array_length: the array size when
// every key is a positive integer, -1 otherwise; excessively sparse arrays
// are an error (encode_sparse_array's convert off) or an object (on).
func cjsonArrayLength(L *lua.LState, c *cjsonConfig, t *lua.LTable) int {
	max, items := 0, 0
	array := true
	t.ForEach(func(k, _ lua.LValue) {
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) < 1 || float64(n) != math.Floor(float64(n)) {
			array = false
			return
		}
		if int(n) > max {
			max = int(n)
		}
		items++
	})
	if !array {
		return -1
	}
	if c.sparseRatio > 0 && max > items*c.sparseRatio && max > c.sparse {
		if !c.sparseConvert {
			L.RaiseError("Cannot serialise table: excessively sparse array")
		}
		return -1
	}
	return max
}

// jsonDecoder is lua-cjson's decoder: JSON text to Lua values, null as
// cjson.null, with lua-cjson's error messages.
type jsonDecoder struct {
	L   *lua.LState
	s   string
	i   int
	max int
}

func (d *jsonDecoder) space() {
	for d.i < len(d.s) && (d.s[d.i] == ' ' || d.s[d.i] == '\t' || d.s[d.i] == '\n' || d.s[d.i] == '\r') {
		d.i++
	}
}

// token names what is at the cursor as lua-cjson's token type names.
func (d *jsonDecoder) token() string {
	if d.i >= len(d.s) {
		return "T_END"
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return "T_OBJ_BEGIN"
	case c == '}':
		return "T_OBJ_END"
	case c == '[':
		return "T_ARR_BEGIN"
	case c == ']':
		return "T_ARR_END"
	case c == ',':
		return "T_COMMA"
	case c == ':':
		return "T_COLON"
	case c == '"':
		return "T_STRING"
	case c == '-' || (c >= '0' && c <= '9'):
		return "T_NUMBER"
	case strings.HasPrefix(d.s[d.i:], "true"), strings.HasPrefix(d.s[d.i:], "false"):
		return "T_BOOLEAN"
	case strings.HasPrefix(d.s[d.i:], "null"):
		return "T_NULL"
	}
	return "invalid token"
}

func (d *jsonDecoder) fail(want, found string) {
	d.L.RaiseError("Expected %s but found %s at character %d", want, found, d.i+1)
}

func (d *jsonDecoder) value(depth int) lua.LValue {
	d.space()
	if d.i >= len(d.s) {
		d.fail("value", "T_END")
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		return lua.LString(d.str())
	case c == '-' || (c >= '0' && c <= '9'):
		j := d.i + 1
		for j < len(d.s) && strings.IndexByte("0123456789+-.eE", d.s[j]) >= 0 {
			j++
		}
		f, err := strconv.ParseFloat(d.s[d.i:j], 64)
		if err != nil && !strings.Contains(err.Error(), "range") {
			d.fail("value", "invalid number")
		}
		d.i = j
		return lua.LNumber(f)
	case strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return lua.LTrue
	case strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return lua.LFalse
	case strings.HasPrefix(d.s[d.i:], "null"):
		d.i += 4
		return cjsonNull
	}
	d.fail("value", d.token())
	return nil
}

func (d *jsonDecoder) nest(depth int) {
	if depth > d.max {
		d.L.RaiseError("Found too many nested data structures (%d) at character %d", depth, d.i+1)
	}
}

func (d *jsonDecoder) object(depth int) lua.LValue {
	d.nest(depth)
	d.i++
	t := d.L.NewTable()
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return t
	}
	for {
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			d.fail("object key string", d.token())
		}
		k := d.str()
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			d.fail("colon", d.token())
		}
		d.i++
		t.RawSetString(k, d.value(depth))
		d.space()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return t
		}
		if d.i >= len(d.s) || d.s[d.i] != ',' {
			d.fail("comma or object end", d.token())
		}
		d.i++
	}
}

func (d *jsonDecoder) array(depth int) lua.LValue {
	d.nest(depth)
	d.i++
	t := d.L.NewTable()
	d.space()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return t
	}
	for n := 1; ; n++ {
		t.RawSetInt(n, d.value(depth))
		d.space()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return t
		}
		if d.i >= len(d.s) || d.s[d.i] != ',' {
			d.fail("comma or array end", d.token())
		}
		d.i++
	}
}

// str reads a JSON string at the cursor (on its opening quote).
func (d *jsonDecoder) str() string {
	start := d.i
	d.i++
	var b strings.Builder
	for {
		if d.i >= len(d.s) {
			d.i = start
			d.fail("value", "invalid token")
		}
		c := d.s[d.i]
		if c == '"' {
			d.i++
			return b.String()
		}
		if c != '\\' {
			b.WriteByte(c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.s) {
			d.i = start
			d.fail("value", "invalid token")
		}
		e := d.s[d.i+1]
		d.i += 2
		switch e {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r := d.hex4()
			if r >= 0xd800 && r < 0xdc00 && strings.HasPrefix(d.s[d.i:], `\u`) {
				d.i += 2
				lo := d.hex4()
				r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
			}
			b.WriteRune(rune(r))
		default:
			b.WriteByte(e)
		}
	}
}

func (d *jsonDecoder) hex4() int {
	if d.i+4 > len(d.s) {
		d.fail("value", "invalid token")
	}
	n, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 16)
	if err != nil {
		d.fail("value", "invalid token")
	}
	d.i += 4
	return int(n)
}
