package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/rollsim/rollsim/engine/api/decode"
	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// InputError is invalid input: it names the file, the document (1-based, with the
// line it starts on) and the field. The CLI exits 2 on it.
type InputError struct {
	File  string
	Doc   int    // 0 when the error is about the file as a whole
	Line  int    // first line of the document
	What  string // "Rollout my-app", when known
	Field string // field path, when known
	At    int    // line of the field (or of the YAML error) in File, when known
	Err   error
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.At > 0 {
		fmt.Fprintf(&b, ":%d", e.At)
	}
	if e.Doc > 0 {
		fmt.Fprintf(&b, ": document %d", e.Doc)
		if e.Line > 0 {
			fmt.Fprintf(&b, " (line %d", e.Line)
			if e.What != "" {
				fmt.Fprintf(&b, ", %s", e.What)
			}
			b.WriteString(")")
		} else if e.What != "" {
			fmt.Fprintf(&b, " (%s)", e.What)
		}
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *InputError) Unwrap() error { return e.Err }

// IsInputError reports whether err is (or wraps) invalid input.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// ErrNoScenario: the file has no Scenario document (for example a manifest file
// that a scenario references).
var ErrNoScenario = fmt.Errorf("no document with apiVersion: %s and kind: %s", ScenarioAPIVersion, ScenarioKind)

// Input is a loaded scenario: the Scenario document and every manifest it brings.
type Input struct {
	File        string
	Scenario    Scenario
	ScenarioDoc Origin
	Objects     []client.Object
	origins     map[client.Object]Origin
	raw         map[string][]Document // documents read, by file, for error lines
	// recorded is spec.recorded, loaded (shared by clones); trafficGiven
	// whether the file gave spec.traffic (before defaults fill it in).
	recorded     *Recorded
	trafficGiven bool
	bytes, docs  int // read so far, against MaxTotalBytes and MaxDocuments
}

// Origin says where an object was read from, for error messages.
type Origin struct {
	File string
	Doc  int // 1-based document number in File
	Line int // first line of the document
}

// Errorf is invalid input in the document at o: what names the object
// ("Rollout my-app") and field its field path.
func (o Origin) Errorf(what, field string, format string, args ...any) *InputError {
	return &InputError{File: o.File, Doc: o.Doc, Line: o.Line, What: what, Field: field, Err: fmt.Errorf(format, args...)}
}

// Origin is where obj (one of in.Objects) was read from.
func (in *Input) Origin(obj client.Object) Origin { return in.origins[obj] }

// Document is the YAML document obj was decoded from, as written (so that
// missing fields and nulls are seen as the user wrote them).
func (in *Input) Document(obj client.Object) ([]byte, bool) {
	o, ok := in.origins[obj]
	if !ok {
		return nil, false
	}
	docs := in.raw[o.File]
	if o.Doc < 1 || o.Doc > len(docs) {
		return nil, false
	}
	return docs[o.Doc-1].Data, true
}

// document is one YAML document of a stream.
type document struct {
	data []byte
	line int
}

// Document is one YAML document of a stream and the line it starts on.
type Document struct {
	Data []byte
	Line int
}

// SplitDocuments cuts a YAML stream at its `---` lines (and `...` document
// ends), keeping each document's first line and dropping documents that hold
// only comments. The loader and lint read streams with it.
func SplitDocuments(data []byte) []Document {
	var docs []Document
	var cur bytes.Buffer
	start := 1
	flush := func() {
		if !blankDoc(cur.Bytes()) {
			docs = append(docs, Document{Data: append([]byte(nil), cur.Bytes()...), Line: start})
		}
		cur.Reset()
	}
	lines := strings.SplitAfter(string(data), "\n")
	for i, l := range lines {
		t := strings.TrimRight(l, "\r\n")
		if t == "---" || strings.HasPrefix(t, "--- ") || t == "..." {
			flush()
			start = i + 2
			continue
		}
		if cur.Len() == 0 && strings.TrimSpace(t) == "" {
			start = i + 2
			continue
		}
		cur.WriteString(l)
	}
	flush()
	return docs
}

func blankDoc(b []byte) bool {
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

type kindHeader struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// Load reads a scenario file (and the manifests it references) and checks it the
// way the real controller would check the Rollout before acting on it.
func Load(path string) (*Input, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, &InputError{File: path, Err: err}
	}
	return LoadData(path, data)
}

// LoadData is Load for a scenario already in memory; path names it in errors and
// anchors relative spec.manifests paths.
func LoadData(path string, data []byte) (in *Input, err error) {
	defer func() {
		// Invalid input must never crash the CLI; a panic here is a rollsim bug
		// (not invalid input: the fuzz targets fail on it), reported against
		// the input that caused it.
		if r := recover(); r != nil {
			in, err = nil, &InternalError{File: path, Panic: r, Stack: string(debug.Stack())}
		}
	}()
	in = &Input{File: path, origins: map[client.Object]Origin{}, raw: map[string][]Document{}}
	read := in
	defer func() {
		var ie *InputError
		if errors.As(err, &ie) {
			read.locate(ie)
		}
	}()
	found, err := in.readData(path, data, true)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, &InputError{File: path, Err: ErrNoScenario}
	}
	dir := filepath.Dir(path)
	for i, m := range in.Scenario.Spec.Manifests {
		p := m
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, m)
		}
		if _, err := in.readFile(p, false); err != nil {
			var ie *InputError
			if errors.As(err, &ie) && ie.Doc == 0 {
				return nil, in.ScenarioDoc.Errorf("Scenario "+in.Scenario.Metadata.Name, fmt.Sprintf("spec.manifests[%d]", i), "%v", ie.Err)
			}
			return nil, err
		}
	}
	if err := in.complete(); err != nil {
		return nil, err
	}
	return in, nil
}

// readFile decodes every document of one file. It reports whether the file held
// the Scenario document.
func (in *Input) readFile(path string, allowScenario bool) (bool, error) {
	data, err := ReadFile(path)
	if err != nil {
		return false, &InputError{File: path, Err: err}
	}
	return in.readData(path, data, allowScenario)
}

func (in *Input) readData(path string, data []byte, allowScenario bool) (bool, error) {
	found := false
	if len(data) > MaxFileBytes {
		return false, &InputError{File: path, Err: fmt.Errorf("larger than %s, the limit for one file", byteSize(MaxFileBytes))}
	}
	if in.bytes += len(data); in.bytes > MaxTotalBytes {
		return false, &InputError{File: path, Err: fmt.Errorf("the scenario and its manifests hold more than %s, the limit for one scenario", byteSize(MaxTotalBytes))}
	}
	docs := SplitDocuments(data)
	if in.docs += len(docs); in.docs > MaxDocuments {
		return false, &InputError{File: path, Err: fmt.Errorf("the scenario and its manifests hold more than %d YAML documents, the limit for one scenario", MaxDocuments)}
	}
	if in.raw != nil {
		in.raw[path] = docs
	}
	for i, d := range docs {
		o := Origin{File: path, Doc: i + 1, Line: d.Line}
		j, err := yaml.YAMLToJSONStrict(d.Data)
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
			ie := o.Errorf("", "", "malformed YAML: %s", msg)
			if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
				n, _ := strconv.Atoi(m[1])
				ie.At = d.Line + n - 1
			}
			return false, ie
		}
		var h kindHeader
		_ = sigsjson.UnmarshalCaseSensitivePreserveInts(j, &h)
		what := strings.TrimSpace(h.Kind + " " + h.Metadata.Name)
		if h.Kind == ScenarioKind && h.APIVersion == ScenarioAPIVersion {
			if !allowScenario {
				return false, o.Errorf(what, "", "a Scenario cannot be listed in spec.manifests")
			}
			if found {
				return false, o.Errorf(what, "", "a file holds one Scenario; this is the second")
			}
			strictErrs, err := sigsjson.UnmarshalStrict(j, &in.Scenario)
			if err != nil {
				return false, o.Errorf(what, "", "%v", err)
			}
			if len(strictErrs) > 0 {
				return false, o.Errorf(what, "", "%v", strictErrs[0])
			}
			if field, err := in.Scenario.Spec.Expect.validate(); err != nil {
				return false, o.Errorf(what, field, "%v", err)
			}
			in.ScenarioDoc = o
			in.trafficGiven = trafficGiven(&in.Scenario.Spec.Traffic)
			found = true
			continue
		}
		obj, err := decode.Object(d.Data)
		if err != nil {
			return false, o.Errorf(what, "", "%v", err)
		}
		in.Objects = append(in.Objects, obj)
		in.origins[obj] = o
	}
	return found, nil
}

// Rollout returns the rollout under test.
func (in *Input) Rollout() *v1alpha1.Rollout {
	for _, o := range in.Objects {
		if ro, ok := o.(*v1alpha1.Rollout); ok && ro.Name == in.Scenario.Spec.Rollout {
			return ro
		}
	}
	return nil
}
