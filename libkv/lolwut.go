package libkv

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/kvkit/kvkit/internal/version"
)

// cmdLolwut is Redis 7.0's LOLWUT (lolwut.c): VERSION picks the art, as
// Redis reads it (the number is printed as "%u.0.0" and its first
// characters compared), so 5 and 4.9 draw Georg Nees's Schotter, 6 and
// 5.9 the Plaguemon skyline, anything else (the default, 7) only the
// version line. The art is random below its first rows, as in Redis.
func cmdLolwut(c *Client, args [][]byte) {
	v := version.RedisVersion
	if len(args) >= 3 && eqFold(args[1], "version") {
		n, ok := c.intArg(args[2])
		if !ok {
			return
		}
		v = strconv.FormatUint(uint64(uint32(n)), 10) + ".0.0"
		args = args[2:] // the art's own arguments follow the version
	}
	switch {
	case len(v) >= 3 && ((v[0] == '5' && v[1] == '.' && v[2] != '9') || (v[0] == '4' && v[1] == '.' && v[2] == '9')):
		c.lolwut5(args)
	case len(v) >= 3 && ((v[0] == '6' && v[1] == '.' && v[2] != '9') || (v[0] == '5' && v[1] == '.' && v[2] == '9')):
		c.lolwut6(args)
	default:
		c.w.Verbatim("txt", "Redis ver. "+version.RedisVersion+"\n")
	}
}

// lolwutArgs parses up to len(defs) optional integer arguments after
// args[0], each clamped to [1, 1000] or its own maximum.
func (c *Client) lolwutArgs(args [][]byte, defs, maxes []int64) ([]int64, bool) {
	vals := append([]int64(nil), defs...)
	for i := range vals {
		if len(args) > i+1 {
			n, ok := c.intArg(args[i+1])
			if !ok {
				return nil, false
			}
			vals[i] = n
		}
		vals[i] = min(max(vals[i], 1), maxes[i])
	}
	return vals, true
}

// lwCanvas is lolwut.c's canvas: one color value per pixel.
type lwCanvas struct {
	width, height int
	pixels        []byte
}

func newCanvas(w, h int, bg byte) *lwCanvas {
	c := &lwCanvas{width: w, height: h, pixels: make([]byte, w*h)}
	for i := range c.pixels {
		c.pixels[i] = bg
	}
	return c
}

func (cv *lwCanvas) set(x, y int, color byte) {
	if x >= 0 && x < cv.width && y >= 0 && y < cv.height {
		cv.pixels[x+y*cv.width] = color
	}
}

func (cv *lwCanvas) get(x, y int) byte {
	if x < 0 || x >= cv.width || y < 0 || y >= cv.height {
		return 0
	}
	return cv.pixels[x+y*cv.width]
}

// line draws with Bresenham's algorithm, as lwDrawLine.
func (cv *lwCanvas) line(x1, y1, x2, y2 int, color byte) {
	dx, dy := abs(x2-x1), abs(y2-y1)
	sx, sy := -1, -1
	if x1 < x2 {
		sx = 1
	}
	if y1 < y2 {
		sy = 1
	}
	err := dx - dy
	for {
		cv.set(x1, y1, color)
		if x1 == x2 && y1 == y2 {
			return
		}
		e2 := err * 2
		if e2 > -dy {
			err -= dy
			x1 += sx
		}
		if e2 < dx {
			err += dx
			y1 += sy
		}
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// square draws a square centred on x,y, rotated by angle, as
// lwDrawSquare: its corners lie on a circle, computed in C's float.
func (cv *lwCanvas) square(x, y int, size, angle float32, color byte) {
	// C evaluates these in double and stores them in float.
	size = float32(float64(size) / 1.4142135623)
	size = float32(math.Round(float64(size)))
	var px, py [4]int
	k := float32(math.Pi/4 + float64(angle))
	for j := 0; j < 4; j++ {
		px[j] = int(math.Round(math.Sin(float64(k))*float64(size) + float64(x)))
		py[j] = int(math.Round(math.Cos(float64(k))*float64(size) + float64(y)))
		k = float32(float64(k) + math.Pi/2)
	}
	for j := 0; j < 4; j++ {
		cv.line(px[j], py[j], px[(j+1)%4], py[(j+1)%4], color)
	}
}

// crand stands for C's rand(): a non-negative 31-bit number.
func crand() int { return int(rand.Int32()) }

const randMax = 1<<31 - 1

// lolwut5 is LOLWUT VERSION 5 [cols] [squares-per-row] [squares-per-col]
// (lolwut5.c): Schotter in Braille characters, the first two rows of
// squares straight, the rest increasingly rotated and shifted at random.
func (c *Client) lolwut5(args [][]byte) {
	v, ok := c.lolwutArgs(args, []int64{66, 8, 12}, []int64{1000, 200, 200})
	if !ok {
		return
	}
	cols, perRow, perCol := int(v[0]), int(v[1]), int(v[2])
	width := cols * 2
	padding := 0
	if width > 4 {
		padding = 2
	}
	side := float32(width-padding*2) / float32(perRow)
	height := int(side*float32(perCol) + float32(padding*2))
	cv := newCanvas(width, height, 0)
	for y := 0; y < perCol; y++ {
		for x := 0; x < perRow; x++ {
			sx := int(float32(x)*side + side/2 + float32(padding))
			sy := int(float32(y)*side + side/2 + float32(padding))
			var angle float32
			if y > 1 {
				r1 := float32(crand()) / randMax / float32(perCol) * float32(y)
				r2 := float32(crand()) / randMax / float32(perCol) * float32(y)
				r3 := float32(crand()) / randMax / float32(perCol) * float32(y)
				if crand()%2 != 0 {
					r1 = -r1
				}
				if crand()%2 != 0 {
					r2 = -r2
				}
				if crand()%2 != 0 {
					r3 = -r3
				}
				angle = r1
				sx = int(float32(sx) + r2*side/3)
				sy = int(float32(sy) + r3*side/3)
			}
			cv.square(sx, sy, side, angle, 1)
		}
	}
	var b strings.Builder
	for y := 0; y < cv.height; y += 4 {
		for x := 0; x < cv.width; x += 2 {
			// Braille dots: bits 0-2 and 6 the left column, 3-5 and 7
			// the right one.
			bits := 0
			for i, p := range [8][2]int{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}, {0, 3}, {1, 3}} {
				if cv.get(x+p[0], y+p[1]) != 0 {
					bits |= 1 << i
				}
			}
			b.WriteRune(rune(0x2800 + bits))
		}
		if y != cv.height-1 { // Redis's test: almost always true
			b.WriteByte('\n')
		}
	}
	b.WriteString("\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. " + version.RedisVersion + "\n")
	c.w.Verbatim("txt", b.String())
}

// lolwut6 is LOLWUT VERSION 6 [cols] [rows] (lolwut6.c): a skyline of
// random skyscrapers in the terminal's four grays.
func (c *Client) lolwut6(args [][]byte) {
	v, ok := c.lolwutArgs(args, []int64{80, 20}, []int64{1000, 1000})
	if !ok {
		return
	}
	cv := newCanvas(int(v[0]), int(v[1]), 3)
	cv.skyline()
	var b strings.Builder
	escapes := [4]string{"0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"}
	for y := 0; y < cv.height; y++ {
		for x := 0; x < cv.width; x++ {
			ce := escapes[0]
			if p := cv.get(x, y); int(p) < len(escapes) {
				ce = escapes[p]
			}
			b.WriteString("\x1b[" + ce + " \x1b[0m")
		}
		if y != cv.height-1 {
			b.WriteByte('\n')
		}
	}
	b.WriteString("\nDedicated to the 8 bit game developers of past and present.\n" +
		"Original 8 bit image from Plaguemon by hikikomori. Redis ver. " + version.RedisVersion + "\n")
	c.w.Verbatim("txt", b.String())
}

// skyscraper is one building of the skyline.
type skyscraper struct {
	xoff, width, height int
	windows             bool
	color               byte
}

// skyscraper draws one building from the bottom row up, its roof two
// pixels narrower on each side, windows in two grays (generateSkyscraper).
func (cv *lwCanvas) skyscraper(si skyscraper) {
	starty := cv.height - 1
	endy := starty - si.height + 1
	for y := starty; y >= endy; y-- {
		for x := si.xoff; x < si.xoff+si.width; x++ {
			if y == endy && (x <= si.xoff+1 || x >= si.xoff+si.width-2) {
				continue
			}
			color := si.color
			if si.windows && x > si.xoff+1 && x < si.xoff+si.width-2 && y > endy+1 && y < starty-1 {
				relx, rely := x-(si.xoff+1), y-(endy+1)
				if (relx/2)%2 != 0 && rely%2 != 0 {
					for {
						color = byte(1 + crand()%2)
						if color != si.color {
							break
						}
					}
					if relx%2 != 0 {
						color = cv.get(x-1, y)
					}
				}
			}
			cv.set(x, y, color)
		}
	}
}

// skyline draws two background layers of buildings, lighter behind, then
// the foreground with windows (generateSkyline).
func (cv *lwCanvas) skyline() {
	for color := byte(2); color >= 1; color-- {
		for offset := -10; offset < cv.width; {
			offset += crand() % 8
			si := skyscraper{xoff: offset, width: 10 + crand()%9, color: color}
			if color == 2 {
				si.height = cv.height/2 + crand()%cv.height/2
			} else {
				si.height = cv.height/2 + crand()%cv.height/3
			}
			cv.skyscraper(si)
			if color == 2 {
				offset += si.width / 2
			} else {
				offset += si.width + 1
			}
		}
	}
	for offset := -10; offset < cv.width; {
		offset += crand() % 8
		si := skyscraper{xoff: offset, width: 5 + crand()%14, windows: true}
		if si.width%4 != 0 {
			si.width += si.width % 3
		}
		si.height = cv.height/3 + crand()%cv.height/2
		cv.skyscraper(si)
		offset += si.width + 5
	}
}
