package promfake

import (
	"slices"

	"github.com/prometheus/prometheus/promql/parser"
)

// copyExpr returns a deep copy of a parsed expression, or ok=false for a
// node type it does not know (a newer parser's), so that the caller parses
// again instead of sharing nodes.
//
// The engine rewrites the tree it evaluates: it folds start()/end() into
// literals, wraps step-invariant parts, drops parentheses, resolves @ start()
// and duration expressions into the nodes' fields, sorts aggregation
// groupings in place and stores the selected series on the selectors. Every
// node, and every slice and pointer a node owns, is therefore copied. Two
// things are shared, being immutable once built: the label matchers (a
// *labels.Matcher holds the compiled regexp of =~ and !~, which is most of
// the cost of parsing a selector) and the function definitions (*parser.Function,
// entries of the parser's function table).
func copyExpr(e parser.Expr) (out parser.Expr, ok bool) {
	if e == nil {
		return nil, true
	}
	switch n := e.(type) {
	case *parser.AggregateExpr:
		c := *n
		c.Grouping = slices.Clone(n.Grouping)
		c.Expr, ok = copyExpr(n.Expr)
		if ok {
			c.Param, ok = copyExpr(n.Param)
		}
		return &c, ok
	case *parser.BinaryExpr:
		c := *n
		if vm := n.VectorMatching; vm != nil {
			m := *vm
			m.MatchingLabels = slices.Clone(vm.MatchingLabels)
			m.Include = slices.Clone(vm.Include)
			m.FillValues.LHS = clonePtr(vm.FillValues.LHS)
			m.FillValues.RHS = clonePtr(vm.FillValues.RHS)
			c.VectorMatching = &m
		}
		c.LHS, ok = copyExpr(n.LHS)
		if ok {
			c.RHS, ok = copyExpr(n.RHS)
		}
		return &c, ok
	case *parser.Call:
		c := *n
		if n.Args != nil {
			c.Args = make(parser.Expressions, len(n.Args))
			for i, a := range n.Args {
				if c.Args[i], ok = copyExpr(a); !ok {
					return nil, false
				}
			}
		}
		return &c, true
	case *parser.DurationExpr:
		return copyDuration(n)
	case *parser.MatrixSelector:
		c := *n
		if c.RangeExpr, ok = copyDuration(n.RangeExpr); !ok {
			return nil, false
		}
		c.VectorSelector, ok = copyExpr(n.VectorSelector)
		return &c, ok
	case *parser.SubqueryExpr:
		c := *n
		c.Timestamp = clonePtr(n.Timestamp)
		for _, d := range []**parser.DurationExpr{&c.RangeExpr, &c.OriginalOffsetExpr, &c.StepExpr} {
			if *d, ok = copyDuration(*d); !ok {
				return nil, false
			}
		}
		c.Expr, ok = copyExpr(n.Expr)
		return &c, ok
	case *parser.NumberLiteral:
		c := *n
		return &c, true
	case *parser.ParenExpr:
		c := *n
		c.Expr, ok = copyExpr(n.Expr)
		return &c, ok
	case *parser.StringLiteral:
		c := *n
		return &c, true
	case *parser.UnaryExpr:
		c := *n
		c.Expr, ok = copyExpr(n.Expr)
		return &c, ok
	case *parser.StepInvariantExpr:
		c := *n
		c.Expr, ok = copyExpr(n.Expr)
		return &c, ok
	case *parser.VectorSelector:
		c := *n
		c.Timestamp = clonePtr(n.Timestamp)
		c.LabelMatchers = slices.Clone(n.LabelMatchers) // the matchers themselves are shared
		c.UnexpandedSeriesSet, c.Series = nil, nil
		if c.OriginalOffsetExpr, ok = copyDuration(n.OriginalOffsetExpr); !ok {
			return nil, false
		}
		return &c, true
	}
	return nil, false
}

// copyDuration deep-copies a duration expression (nil stays nil).
func copyDuration(d *parser.DurationExpr) (*parser.DurationExpr, bool) {
	if d == nil {
		return nil, true
	}
	c := *d
	var ok bool
	if c.LHS, ok = copyExpr(d.LHS); !ok {
		return nil, false
	}
	c.RHS, ok = copyExpr(d.RHS)
	return &c, ok
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
