package sim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// The chart: one learning curve per policy with its 95% band, success on
// the y axis (0–100%), session on the x axis.
const (
	svgWidth, svgHeight            = 760, 440
	plotLeft, plotRight            = 64, 600
	plotTop, plotBottom            = 48, 390
	bandOpacity                    = 0.15
	legendX, legendY, legendStride = 616, 70, 24
)

var colours = map[string]string{
	PolicyMemory: "#1f77b4", PolicyNoMemory: "#ff7f0e", PolicyOracle: "#2ca02c", PolicyRandom: "#7f7f7f",
}

// WriteSVG draws r's learning curves as a standalone SVG image.
func (r *Result) WriteSVG(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		svgWidth, svgHeight, svgWidth, svgHeight)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgWidth, svgHeight)
	title := fmt.Sprintf("First tool helped, by session (%d users, %d situations a session, 95%% CI)", r.Users, r.Situations)
	text(&b, svgWidth/2, 24, "middle", 14, title)
	r.axes(&b)
	for _, p := range r.Policies {
		r.curve(&b, p)
	}
	r.legend(&b)
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func (r *Result) x(session int) float64 {
	if r.Sessions == 1 {
		return (plotLeft + plotRight) / 2
	}
	return plotLeft + float64(session-1)*(plotRight-plotLeft)/float64(r.Sessions-1)
}

func y(rate float64) float64 { return plotBottom - rate*(plotBottom-plotTop) }

func (r *Result) axes(b *bytes.Buffer) {
	for i := 0; i <= 5; i++ {
		v := float64(i) / 5
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/>`+"\n", plotLeft, y(v), plotRight, y(v))
		text(b, plotLeft-8, int(y(v))+4, "end", 12, fmt.Sprintf("%d%%", i*20))
	}
	step := max(1, (r.Sessions+9)/10)
	for s := 1; s <= r.Sessions; s += step {
		text(b, int(r.x(s)), plotBottom+18, "middle", 12, fmt.Sprint(s))
	}
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", plotLeft, plotBottom, plotRight, plotBottom)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", plotLeft, plotTop, plotLeft, plotBottom)
	text(b, (plotLeft+plotRight)/2, plotBottom+40, "middle", 12, "session")
	fmt.Fprintf(b, `<text x="18" y="%d" text-anchor="middle" transform="rotate(-90 18 %d)">success rate</text>`+"\n",
		(plotTop+plotBottom)/2, (plotTop+plotBottom)/2)
}

// curve draws a policy's band (upper edge forward, lower edge back) and
// its line with a dot per session.
func (r *Result) curve(b *bytes.Buffer, p PolicyResult) {
	c := colours[p.Name]
	var band, line []string
	for _, pt := range p.Curve {
		band = append(band, fmt.Sprintf("%.1f,%.1f", r.x(pt.Session), y(pt.High)))
		line = append(line, fmt.Sprintf("%.1f,%.1f", r.x(pt.Session), y(pt.Mean)))
	}
	for i := len(p.Curve) - 1; i >= 0; i-- {
		band = append(band, fmt.Sprintf("%.1f,%.1f", r.x(p.Curve[i].Session), y(p.Curve[i].Low)))
	}
	fmt.Fprintf(b, `<polygon points="%s" fill="%s" fill-opacity="%.2f" stroke="none"/>`+"\n", strings.Join(band, " "), c, bandOpacity)
	fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(line, " "), c)
	for _, pt := range p.Curve {
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s, session %d: %.2f [%.2f, %.2f]</title></circle>`+"\n",
			r.x(pt.Session), y(pt.Mean), c, escape(p.Name), pt.Session, pt.Mean, pt.Low, pt.High)
	}
}

func (r *Result) legend(b *bytes.Buffer) {
	for i, p := range r.Policies {
		yy := legendY + i*legendStride
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="16" height="10" fill="%s"/>`+"\n", legendX, yy-9, colours[p.Name])
		text(b, legendX+22, yy, "start", 12, fmt.Sprintf("%s (%.0f%%)", p.Name, 100*p.LateMean))
	}
	text(b, legendX, legendY+len(r.Policies)*legendStride+8, "start", 11,
		fmt.Sprintf("(mean, sessions %d–%d)", r.Late.From, r.Late.To))
}

func text(b *bytes.Buffer, x, y int, anchor string, size int, s string) {
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="%s" font-size="%d">%s</text>`+"\n", x, y, anchor, size, escape(s))
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
