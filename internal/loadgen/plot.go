package loadgen

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// The plot is a latency percentile spectrum, the chart HdrHistogram's own
// plotter draws: x is the percentile on a log scale of 1/(1-p) (so 90%,
// 99%, 99.9% ... are evenly spaced and the tail gets the room), y is the
// latency in milliseconds, one line per test.

const (
	plotW, plotH               = 1000, 540
	marginL, marginR           = 70, 280
	legendChars                = 34 // at 7 px a character (PNG font) this fits marginR
	marginT, marginB           = 40, 60
	plotStepsPerDecade float64 = 20
)

var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255},
}

type series struct {
	name string
	xs   []float64 // log10(1/(1-p))
	ys   []float64 // ms
}

type scene struct {
	series     []series
	xMax, yMax float64
}

func buildScene(results []*Result) scene {
	var sc scene
	for _, r := range results {
		h := r.Latency
		n := h.TotalCount()
		if n == 0 {
			continue
		}
		// Beyond log10(n) decades the histogram has no more information.
		decades := math.Min(6, math.Max(1, math.Log10(float64(n))))
		s := series{name: r.Title}
		for k := 0.0; k <= decades*plotStepsPerDecade; k++ {
			x := k / plotStepsPerDecade
			p := 100 * (1 - math.Pow(10, -x))
			y := Ms(h.ValueAtPercentile(p))
			s.xs = append(s.xs, x)
			s.ys = append(s.ys, y)
			sc.yMax = math.Max(sc.yMax, y)
		}
		s.xs = append(s.xs, decades)
		s.ys = append(s.ys, Ms(h.Max()))
		sc.yMax = math.Max(sc.yMax, Ms(h.Max()))
		sc.xMax = math.Max(sc.xMax, decades)
		sc.series = append(sc.series, s)
	}
	if sc.xMax == 0 {
		sc.xMax = 1
	}
	sc.yMax = niceCeil(sc.yMax)
	return sc
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

type canvas interface {
	line(x1, y1, x2, y2 float64, c color.RGBA, width float64)
	text(x, y float64, s string, c color.RGBA, anchor string) // anchor: start, middle, end
}

func (sc scene) draw(cv canvas) {
	black := color.RGBA{0, 0, 0, 255}
	grey := color.RGBA{220, 220, 220, 255}
	x0, y0 := float64(marginL), float64(plotH-marginB)
	x1, y1 := float64(plotW-marginR), float64(marginT)
	px := func(x float64) float64 { return x0 + (x1-x0)*x/sc.xMax }
	py := func(y float64) float64 { return y0 - (y0-y1)*y/sc.yMax }
	for d := 0.0; d <= sc.xMax+1e-9; d++ {
		cv.line(px(d), y0, px(d), y1, grey, 1)
		label := "0%"
		if d > 0 {
			label = strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.*f", int(d), 100*(1-math.Pow(10, -d))), "0"), ".") + "%"
		}
		cv.text(px(d), y0+18, label, black, "middle")
	}
	for i := 0; i <= 5; i++ {
		v := sc.yMax * float64(i) / 5
		cv.line(x0, py(v), x1, py(v), grey, 1)
		cv.text(x0-6, py(v)+4, fmt.Sprintf("%g", math.Round(v*1000)/1000), black, "end")
	}
	cv.line(x0, y0, x1, y0, black, 1)
	cv.line(x0, y0, x0, y1, black, 1)
	cv.text((x0+x1)/2, y0+42, "percentile", black, "middle")
	cv.text(x0, y1-14, "latency (ms)", black, "middle")
	for i, s := range sc.series {
		c := palette[i%len(palette)]
		for j := 1; j < len(s.xs); j++ {
			cv.line(px(s.xs[j-1]), py(s.ys[j-1]), px(s.xs[j]), py(s.ys[j]), c, 2)
		}
		ly := y1 + 10 + float64(i)*18
		cv.line(x1+12, ly, x1+32, ly, c, 3)
		name := s.name
		if len(name) > legendChars {
			name = name[:legendChars-3] + "..."
		}
		cv.text(x1+38, ly+4, name, black, "start")
	}
}

// WritePlotSVG writes the percentile spectrum of results as an SVG image.
func WritePlotSVG(w io.Writer, results []*Result) error {
	sv := &svgCanvas{}
	fmt.Fprintf(&sv.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", plotW, plotH, plotW, plotH)
	fmt.Fprintf(&sv.b, `<rect width="%d" height="%d" fill="white"/>`+"\n", plotW, plotH)
	buildScene(results).draw(sv)
	sv.b.WriteString("</svg>\n")
	_, err := io.WriteString(w, sv.b.String())
	return err
}

type svgCanvas struct{ b strings.Builder }

func (s *svgCanvas) line(x1, y1, x2, y2 float64, c color.RGBA, width float64) {
	fmt.Fprintf(&s.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#%02x%02x%02x" stroke-width="%g"/>`+"\n",
		x1, y1, x2, y2, c.R, c.G, c.B, width)
}

func (s *svgCanvas) text(x, y float64, t string, c color.RGBA, anchor string) {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	fmt.Fprintf(&s.b, `<text x="%.1f" y="%.1f" text-anchor="%s" fill="#%02x%02x%02x">%s</text>`+"\n",
		x, y, anchor, c.R, c.G, c.B, r.Replace(t))
}

// WritePlotPNG writes the same chart as WritePlotSVG as a PNG image.
func WritePlotPNG(w io.Writer, results []*Result) error {
	img := image.NewRGBA(image.Rect(0, 0, plotW, plotH))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	buildScene(results).draw(&pngCanvas{img: img})
	return png.Encode(w, img)
}

type pngCanvas struct{ img *image.RGBA }

// line draws by stepping along the longer axis and stamping a square of
// the given width: plain, but clear at this size.
func (p *pngCanvas) line(x1, y1, x2, y2 float64, c color.RGBA, width float64) {
	steps := math.Max(math.Abs(x2-x1), math.Abs(y2-y1))
	if steps < 1 {
		steps = 1
	}
	n := max(1, int(width))
	for i := 0.0; i <= steps; i++ {
		x := int(math.Round(x1+(x2-x1)*i/steps)) - n/2
		y := int(math.Round(y1+(y2-y1)*i/steps)) - n/2
		for dx := 0; dx < n; dx++ {
			for dy := 0; dy < n; dy++ {
				p.img.SetRGBA(x+dx, y+dy, c)
			}
		}
	}
}

func (p *pngCanvas) text(x, y float64, s string, c color.RGBA, anchor string) {
	face := basicfont.Face7x13
	d := &font.Drawer{Dst: p.img, Src: image.NewUniform(c), Face: face}
	w := d.MeasureString(s).Round()
	switch anchor {
	case "middle":
		x -= float64(w) / 2
	case "end":
		x -= float64(w)
	}
	d.Dot = fixed.P(int(x), int(y))
	d.DrawString(s)
}
