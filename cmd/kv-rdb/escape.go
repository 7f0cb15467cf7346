package main

import (
	"encoding/base64"
	"fmt"
	"unicode/utf8"
)

// escapeMode says how binary-unsafe bytes are written in JSON strings.
type escapeMode int

const (
	// escapeUTF8 keeps valid UTF-8 and writes each byte of invalid
	// sequences as \u00XX.
	escapeUTF8 escapeMode = iota
	// escapePrint writes printable ASCII as is and every other byte as
	// \u00XX, so the byte string is the string's code points (lossless).
	escapePrint
	// escapeRaw writes bytes as they are, escaping only what JSON
	// requires (quote, backslash, control characters); the output may not
	// be valid UTF-8.
	escapeRaw
	// escapeBase64 writes every key and value as standard base64.
	escapeBase64
)

func parseEscape(s string) (escapeMode, error) {
	switch s {
	case "utf8", "":
		return escapeUTF8, nil
	case "print":
		return escapePrint, nil
	case "raw":
		return escapeRaw, nil
	case "base64":
		return escapeBase64, nil
	}
	return 0, usageError("--escape %q: want raw, print, utf8 or base64", s)
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the bytes written as they are in every mode: printable
// ASCII except quote and backslash.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s as a JSON string literal.
func appendJSONString(dst []byte, s []byte, mode escapeMode) []byte {
	dst = append(dst, '"')
	if mode == escapeBase64 {
		dst = base64.StdEncoding.AppendEncode(dst, s)
		return append(dst, '"')
	}
	for i := 0; i < len(s); {
		c := s[i]
		if jsonSafe[c] {
			// Fast path: copy a run of plain ASCII.
			j := i + 1
			for j < len(s) && jsonSafe[s[j]] {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
			i++
			continue
		case '\n':
			dst = append(dst, '\\', 'n')
			i++
			continue
		case '\r':
			dst = append(dst, '\\', 'r')
			i++
			continue
		case '\t':
			dst = append(dst, '\\', 't')
			i++
			continue
		}
		if c < 0x20 || c == 0x7f && mode == escapePrint {
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			i++
			continue
		}
		switch mode {
		case escapeRaw:
			dst = append(dst, c)
			i++
		case escapePrint:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			i++
		default:
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n <= 1 {
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
				i++
				continue
			}
			dst = append(dst, s[i:i+n]...)
			i += n
		}
	}
	return append(dst, '"')
}

// appendPrintable appends s with non-printable bytes as \xHH and
// backslashes doubled (the keyvals format).
func appendPrintable(dst []byte, s []byte) []byte {
	for _, c := range s {
		switch {
		case c == '\\':
			dst = append(dst, '\\', '\\')
		case c > 0x20 && c < 0x7f:
			dst = append(dst, c)
		default:
			dst = fmt.Appendf(dst, `\x%02x`, c)
		}
	}
	return dst
}
