package tuning

import (
	"bytes"
	"fmt"
	"image/color"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/rollsim/rollsim/sim/tune"
)

// point is where a policy sits on the plot, or why it is left off.
type point struct {
	x, y   float64 // false aborts (%), minutes
	label  string
	pareto bool
}

// yOf is the plot's vertical value: the objective's detection time, or the
// healthy rollout time when there are no degradations.
func yOf(rep *tune.Report, r *tune.Row) *tune.Time {
	if len(rep.Degradations) == 0 {
		return r.Healthy.RolloutTime.Median
	}
	return r.Detect
}

// YTitle names the plot's vertical axis.
func YTitle(rep *tune.Report) string {
	if len(rep.Degradations) == 0 {
		return "healthy rollout time, median (minutes)"
	}
	return "time to detect, mean of medians (minutes)"
}

// points splits the rows into plotted points and the labels of policies left
// off (never detecting in half the runs).
func points(rep *tune.Report) (pts []point, off []string) {
	for i := range rep.Rows {
		r := &rep.Rows[i]
		y := yOf(rep, r)
		if y == nil {
			off = append(off, r.Label)
			continue
		}
		pts = append(pts, point{x: 100 * r.Healthy.FalseAbort.Rate, y: y.Minutes(), label: fmt.Sprintf("#%d", r.Rank), pareto: r.Pareto})
	}
	return pts, off
}

// PNG plots false aborts against detection time, one point per policy (labelled
// with its rank in the table), the Pareto front joined by a line and the
// false-abort bound dashed. Policies that miss a degradation in half the runs
// or more have no detection time and are left off; Omitted lists them.
func PNG(rep *tune.Report, width, height vg.Length) ([]byte, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: %s per policy", rep.Scenario, rep.Metric)
	p.X.Label.Text = "false aborts of a healthy canary (%)"
	p.Y.Label.Text = YTitle(rep)
	p.Add(plotter.NewGrid())
	pts, _ := points(rep)

	var front, rest plotter.XYs
	var labels plotter.XYLabels
	for _, pt := range pts {
		xy := plotter.XY{X: pt.x, Y: pt.y}
		if pt.pareto {
			front = append(front, xy)
		} else {
			rest = append(rest, xy)
		}
		labels.XYs = append(labels.XYs, xy)
		labels.Labels = append(labels.Labels, pt.label)
	}
	maxX := 100 * rep.Objective.MaxFalseAbort
	for _, pt := range pts {
		maxX = max(maxX, pt.x)
	}
	p.X.Min = 0
	p.X.Max = max(1, maxX*1.1)
	p.Y.Min = 0

	if len(rest) > 0 {
		s, err := plotter.NewScatter(rest)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle.Shape = draw.RingGlyph{}
		s.GlyphStyle.Color = color.Gray{Y: 110}
		s.GlyphStyle.Radius = vg.Points(3.5)
		p.Add(s)
		p.Legend.Add("policy", s)
	}
	if len(front) > 0 {
		sorted := slices.Clone(front)
		slices.SortFunc(sorted, func(a, b plotter.XY) int {
			switch {
			case a.X != b.X:
				return cmpFloat(a.X, b.X)
			default:
				return cmpFloat(a.Y, b.Y)
			}
		})
		line, err := plotter.NewLine(sorted)
		if err != nil {
			return nil, err
		}
		line.Color = color.RGBA{R: 200, G: 60, B: 40, A: 255}
		p.Add(line)
		s, err := plotter.NewScatter(front)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		s.GlyphStyle.Color = color.RGBA{R: 200, G: 60, B: 40, A: 255}
		s.GlyphStyle.Radius = vg.Points(4)
		p.Add(s)
		p.Legend.Add("Pareto front", s)
	}
	if len(labels.XYs) > 0 {
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return nil, err
		}
		l.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(2)}
		p.Add(l)
	}
	if b := 100 * rep.Objective.MaxFalseAbort; b > 0 {
		maxY := 1.0
		for _, pt := range pts {
			maxY = max(maxY, pt.y)
		}
		bound, err := plotter.NewLine(plotter.XYs{{X: b, Y: 0}, {X: b, Y: maxY * 1.05}})
		if err != nil {
			return nil, err
		}
		bound.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		bound.Color = color.Gray{Y: 90}
		p.Add(bound)
		p.Legend.Add(fmt.Sprintf("bound (%s)", tune.Percent(rep.Objective.MaxFalseAbort)), bound)
	}
	p.Legend.Top = true
	wt, err := p.WriterTo(width, height, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Omitted lists the policies the plot leaves off, with the reason.
func Omitted(rep *tune.Report) string {
	_, off := points(rep)
	if len(off) == 0 {
		return ""
	}
	what := "detect a degradation in half the runs or more"
	if len(rep.Degradations) == 0 {
		what = "promote a healthy canary in half the runs or more"
	}
	return fmt.Sprintf("Not plotted (they do not %s): %s.", what, strings.Join(off, "; "))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DefaultSize is the PNG's size.
var DefaultSize = [2]vg.Length{18 * vg.Centimeter, 12 * vg.Centimeter}
