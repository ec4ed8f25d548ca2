package promfake

import (
	"container/list"
	"fmt"
	"sync"

	"github.com/prometheus/prometheus/promql/parser"
)

// Query size limits. Prometheus itself has none, but its parser is
// quadratic in the depth of an expression (100,000 nested parentheses take
// 40 s to parse, `1+1+...` with 100,000 terms four minutes), and `serve`
// takes arbitrary queries. The limits sit far above any real query: within
// them the slowest parse measured is about 30 ms.
const (
	// MaxQueryLength is the longest query accepted, in bytes.
	MaxQueryLength = 64 << 10
	// MaxQueryNesting is the deepest nesting of parentheses, brackets and
	// braces accepted.
	MaxQueryNesting = 256
	// MaxQueryOperators is the most operators (binary, unary, @) a query may
	// hold.
	MaxQueryOperators = 1000
)

// Parse cache bounds: a bounded memory for `serve`, which takes arbitrary
// queries, and room for every query of any scenario.
const (
	parseCacheEntries  = 512
	parseCacheMaxQuery = 4 << 10 // longer queries are parsed each time
)

// QueryTooLargeError is a query refused before parsing for its size; the
// HTTP API answers it with bad_data, the prometheus provider records an
// Error measurement with its message.
type QueryTooLargeError struct{ msg string }

func (e *QueryTooLargeError) Error() string { return e.msg }

// checkQuerySize enforces the limits above with the upstream lexer (linear,
// and it knows strings and comments).
func checkQuerySize(q string) error {
	if len(q) > MaxQueryLength {
		return &QueryTooLargeError{fmt.Sprintf("query too long: %d bytes, the limit is %d bytes", len(q), MaxQueryLength)}
	}
	l := parser.Lex(q)
	var it parser.Item
	depth, ops := 0, 0
	for {
		l.NextItem(&it)
		switch it.Typ {
		case parser.EOF, parser.ERROR:
			return nil // the parser reports lexing errors
		case parser.LEFT_PAREN, parser.LEFT_BRACE, parser.LEFT_BRACKET:
			if depth++; depth > MaxQueryNesting {
				return &QueryTooLargeError{fmt.Sprintf("query nested too deeply: more than %d levels of parentheses, brackets and braces", MaxQueryNesting)}
			}
		case parser.RIGHT_PAREN, parser.RIGHT_BRACE, parser.RIGHT_BRACKET:
			depth--
		case parser.EQL_REGEX, parser.NEQ_REGEX: // label matchers only
		default:
			if it.Typ.IsOperator() {
				if ops++; ops > MaxQueryOperators {
					return &QueryTooLargeError{fmt.Sprintf("query too complex: more than %d operators", MaxQueryOperators)}
				}
			}
		}
	}
}

// parseCache is the engine's parser: it parses each distinct query once
// and hands the engine a fresh deep copy of the tree for every evaluation
// (the engine rewrites the tree it evaluates; see copyExpr). Copies share
// the compiled label matchers, so a cached =~ regexp is compiled once. It
// is bounded (an LRU of parseCacheEntries queries of at most
// parseCacheMaxQuery bytes) and safe for concurrent use.
type parseCache struct {
	parser.Parser // the upstream parser, for everything but ParseExpr

	mu      sync.Mutex
	entries map[string]*list.Element // of *parsed
	lru     list.List                // most recently used first
}

// parsed is one cached parse: the pristine tree (never handed out, never
// evaluated) or the parse error, and whether the tree holds a subquery.
type parsed struct {
	query    string
	expr     parser.Expr
	err      error
	subquery bool
	stepwise bool
}

func newParseCache() *parseCache {
	return &parseCache{Parser: parser.NewParser(parser.Options{}), entries: map[string]*list.Element{}}
}

// ParseExpr implements parser.Parser for the engine: a copy of the cached
// tree, never the cached tree itself.
func (c *parseCache) ParseExpr(q string) (parser.Expr, error) {
	p := c.parse(q)
	if p.err != nil {
		return nil, p.err
	}
	if e, ok := copyExpr(p.expr); ok {
		return e, nil
	}
	return c.Parser.ParseExpr(q) // a node type copyExpr does not know
}

// parse returns the cached parse of q, parsing it on a miss. The tree it
// returns must only be read.
func (c *parseCache) parse(q string) *parsed {
	c.mu.Lock()
	if el, ok := c.entries[q]; ok {
		c.lru.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*parsed)
	}
	c.mu.Unlock()

	p := &parsed{query: q}
	if p.err = checkQuerySize(q); p.err == nil {
		p.expr, p.err = c.Parser.ParseExpr(q)
	}
	if p.err != nil {
		p.expr = nil // a partial tree must not be evaluated
	} else {
		p.subquery = hasSubquery(p.expr)
		p.stepwise = stepwise(p.expr)
	}
	if len(q) > parseCacheMaxQuery {
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[q]; ok { // parsed concurrently
		c.lru.MoveToFront(el)
		return el.Value.(*parsed)
	}
	c.entries[q] = c.lru.PushFront(p)
	if c.lru.Len() > parseCacheEntries {
		old := c.lru.Remove(c.lru.Back()).(*parsed)
		delete(c.entries, old.query)
	}
	return p
}

func hasSubquery(e parser.Expr) bool {
	found := false
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if _, ok := n.(*parser.SubqueryExpr); ok {
			found = true
		}
		return nil
	})
	return found
}

// stepwise reports whether every step of a range evaluation of e is what an
// instant query at that step's time returns: a vector or scalar that reads
// no sample after its evaluation time and does not depend on the range's
// start or end. Subqueries are left out (their steps are aligned to the
// subquery's step, which this does not try to prove equal), and so are @,
// negative offsets and duration expressions.
func stepwise(e parser.Expr) bool {
	if t := e.Type(); t != parser.ValueTypeVector && t != parser.ValueTypeScalar {
		return false
	}
	ok := true
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.SubqueryExpr, *parser.DurationExpr:
			ok = false
		case *parser.MatrixSelector:
			ok = ok && n.RangeExpr == nil
		case *parser.VectorSelector:
			ok = ok && n.Timestamp == nil && n.StartOrEnd == 0 && n.OriginalOffset >= 0 && n.OriginalOffsetExpr == nil
		}
		return nil
	})
	return ok
}
