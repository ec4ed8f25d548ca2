package scenario

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// FieldLine returns the 1-based line, within one YAML document, of the field at
// path ("spec.strategy.canary.steps[1].analysis", `spec.metrics[0].provider`),
// or of the deepest part of the path that exists; 0 when the document does not
// parse or has no such top-level field.
func FieldLine(doc []byte, path string) int {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil || len(root.Content) == 0 {
		return 0
	}
	return NodeLine(root.Content[0], path)
}

// NodeLine is FieldLine on a decoded node. A key's line is where the key is
// written, an index's where the entry starts.
func NodeLine(n *yaml.Node, path string) int {
	line := 0
	for _, seg := range splitPath(path) {
		var at int
		if n, at = child(n, seg); n == nil {
			return line
		}
		line = at
	}
	return line
}

// FieldNode returns the node at path, or nil.
func FieldNode(n *yaml.Node, path string) *yaml.Node {
	for _, seg := range splitPath(path) {
		if n, _ = child(n, seg); n == nil {
			return nil
		}
	}
	return n
}

// pathSegment is a mapping key or, when index >= 0, a sequence index.
type pathSegment struct {
	key   string
	index int
}

// splitPath cuts "a.b[2].c" into a, b, [2], c. Keys holding dots cannot be
// addressed; none of the paths rollsim reports has one.
func splitPath(path string) []pathSegment {
	var out []pathSegment
	for _, part := range strings.Split(path, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				out = append(out, pathSegment{key: part, index: -1})
				break
			}
			if i > 0 {
				out = append(out, pathSegment{key: part[:i], index: -1})
			}
			j := strings.IndexByte(part[i:], ']')
			if j < 0 {
				break
			}
			n, err := strconv.Atoi(part[i+1 : i+j])
			if err != nil {
				break
			}
			out = append(out, pathSegment{index: n})
			part = part[i+j+1:]
		}
	}
	return out
}

// child steps into n by one segment and returns the value and the line the
// segment is written on (the key's line for a key).
func child(n *yaml.Node, seg pathSegment) (*yaml.Node, int) {
	for n != nil && (n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return nil, 0
		}
	}
	if n == nil {
		return nil, 0
	}
	if seg.index >= 0 {
		if n.Kind != yaml.SequenceNode || seg.index >= len(n.Content) {
			return nil, 0
		}
		return n.Content[seg.index], n.Content[seg.index].Line
	}
	if n.Kind != yaml.MappingNode {
		return nil, 0
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == seg.key {
			return n.Content[i+1], n.Content[i].Line
		}
	}
	return nil, 0
}

var (
	unknownFieldRE = regexp.MustCompile(`unknown field "([^"]+)"`)
	yamlLineRE     = regexp.MustCompile(`^yaml: line (\d+): `)
)

// Locate adds the line of the field to an input error about one of the
// documents of in (file:line), as the loader does for its own errors.
func (in *Input) Locate(ie *InputError) *InputError {
	in.locate(ie)
	return ie
}

// locate adds the line of the offending field to an input error about one of
// the documents read (file:line, as compilers print it).
func (in *Input) locate(ie *InputError) {
	if ie == nil || ie.At > 0 || ie.Doc == 0 {
		return
	}
	docs := in.raw[ie.File]
	if ie.Doc > len(docs) {
		return
	}
	d := docs[ie.Doc-1]
	path := ie.Field
	if m := unknownFieldRE.FindStringSubmatch(ie.Err.Error()); m != nil && path == "" {
		path = m[1]
	}
	if path != "" {
		if l := FieldLine(d.Data, path); l > 0 {
			ie.At = d.Line + l - 1
			return
		}
	}
	{
		// An error from a value's own parser (a duration, a range) names the
		// value but not where it is: find the value in the document.
		var root yaml.Node
		if yaml.Unmarshal(d.Data, &root) != nil {
			return
		}
		field, line := "", 0
		for _, m := range quotedRE.FindAllStringSubmatch(ie.Err.Error(), -1) {
			if field, line = findScalar(&root, m[1], ""); line > 0 {
				break
			}
		}
		if line == 0 {
			return
		}
		ie.At = d.Line + line - 1
		if ie.Field == "" && path == "" && field != "" {
			ie.Field = field
		}
	}
}

var quotedRE = regexp.MustCompile(`"((?:[^"\\]|\\.)+)"`)

// findScalar finds the first scalar (key or value) spelt s, depth first, and
// returns its field path and line.
func findScalar(n *yaml.Node, s, path string) (string, int) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if p, l := findScalar(c, s, path); l > 0 {
				return p, l
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if k.Value == s {
				return p, k.Line
			}
			if v.Kind == yaml.ScalarNode && v.Value == s {
				return p, v.Line
			}
			if fp, l := findScalar(v, s, p); l > 0 {
				return fp, l
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			if c.Kind == yaml.ScalarNode && c.Value == s {
				return p, c.Line
			}
			if fp, l := findScalar(c, s, p); l > 0 {
				return fp, l
			}
		}
	}
	return "", 0
}
