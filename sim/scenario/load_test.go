package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rollsim/rollsim/sim/scenario/scenariotest"

	"github.com/rogpeppe/go-internal/txtar"
)

// A valid scenario the bad-input cases start from: goodRollout,
// goodTemplate and goodScenario.
const (
	goodRollout  = scenariotest.GoodRollout
	goodTemplate = scenariotest.GoodTemplate
)

const goodScenario = `apiVersion: rollsim.dev/v1alpha1
kind: Scenario
metadata:
  name: s
spec:
  update: {image: app:v2}
  traffic: {rps: 10}
`

func stream(docs ...string) string { return strings.Join(docs, "---\n") }

// TestBadInput runs the bad-input catalogue, testdata/bad/*.txtar (see its
// README): each case's scenario.yaml must fail to load with an *InputError
// (exit code 2 in the CLI) whose message starts with the file's path and holds
// every `want` string of the case, in order.
func TestBadInput(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "bad", "*.txtar"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no bad-input cases: %v", err)
	}
	for _, file := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, l := range strings.Split(string(a.Comment), "\n") {
				if rest, ok := strings.CutPrefix(l, "want "); ok {
					w, err := strconv.Unquote(rest)
					if err != nil {
						t.Fatalf("%s: want line %q: %v", file, l, err)
					}
					want = append(want, w)
				}
			}
			if len(want) == 0 {
				t.Fatalf("%s: no want lines", file)
			}
			dir := t.TempDir()
			for _, f := range a.Files {
				if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, "scenario.yaml")
			_, err = Load(path)
			if err == nil {
				t.Fatal("no error")
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("not an input error: %v", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path) {
				t.Errorf("error does not start with the file name: %s", msg)
			}
			rest := msg
			for _, w := range want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q lacks %q", msg, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestLoadGood(t *testing.T) {
	in, err := LoadData("mem.yaml", []byte(stream(goodRollout, goodTemplate, goodScenario)))
	if err != nil {
		t.Fatal(err)
	}
	if in.Scenario.Spec.Namespace != "default" || in.Rollout().Namespace != "default" || in.Scenario.Spec.Traffic.Route != "httproute/default/app" {
		t.Fatalf("defaults not applied: %+v", in.Scenario.Spec)
	}
}

func TestSplitStreamLines(t *testing.T) {
	docs := SplitDocuments([]byte("# header\n---\na: 1\n---\n\n\nb: 2\n---\n# only a comment\n"))
	if len(docs) != 2 || docs[0].Line != 3 || docs[1].Line != 7 {
		t.Fatalf("got %+v", docs)
	}
	// `...` ends a document, as in YAML.
	docs = SplitDocuments([]byte("a: 1\n...\nb: 2\n"))
	if len(docs) != 2 || string(docs[0].Data) != "a: 1\n" || docs[1].Line != 3 {
		t.Fatalf("document end marker: got %+v", docs)
	}
}

// FuzzLoadData: any bytes either load or fail with invalid input naming the
// file; never a panic, recovered or not (a recovered one is an InternalError,
// a rollsim bug).
func FuzzLoadData(f *testing.F) {
	f.Add([]byte(stream(goodRollout, goodTemplate, goodScenario)))
	f.Add([]byte("apiVersion: v1\nkind: [unclosed\n"))
	f.Add([]byte(stream(goodScenario, "---\n---\n")))
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Loading that does not end is a bug too: crash the worker, so that
		// the fuzzer keeps the input.
		hung := time.AfterFunc(30*time.Second, func() { panic(fmt.Sprintf("FuzzLoadData: no result after 30s for %q", data)) })
		defer hung.Stop()
		in, err := LoadData("fuzz.yaml", data)
		if err != nil {
			var internal *InternalError
			if errors.As(err, &internal) {
				t.Fatalf("panic while loading: %v\n%s", internal.Panic, internal.Stack)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error is not an InputError: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if in.Rollout() == nil && !in.ExperimentsOnly() {
			t.Fatal("loaded without a Rollout or standalone Experiments")
		}
	})
}

// Files are read through a limit; devices, directories and files over
// MaxFileBytes are refused with a message, pipes are read.
func TestReadFileLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, c := range []struct{ path, want string }{
		{big, "larger than 8 MiB, the limit for one file"},
		{dir, "is a directory"},
		{"/dev/zero", "not a regular file (a character device)"},
		{"/dev/null", "not a regular file (a character device)"},
	} {
		_, err := Load(c.path)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), c.path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an input error naming the file: %s", c.path, err, c.want)
		}
	}
	if err := os.Truncate(big, MaxFileBytes); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(big); err != nil || len(b) != MaxFileBytes {
		t.Errorf("a file of exactly the limit: %d bytes, %v", len(b), err)
	}
}

// The scenario and its manifests together are bounded too.
func TestTotalBytesLimit(t *testing.T) {
	dir := t.TempDir()
	pad := "# " + strings.Repeat("x", 1<<20) + "\n"
	var manifests []string
	for i := 0; i < MaxTotalBytes/MaxFileBytes+1; i++ {
		name := "m" + strconv.Itoa(i) + ".yaml"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Repeat(pad, MaxFileBytes>>20-1)+goodTemplate), 0o644); err != nil {
			t.Fatal(err)
		}
		manifests = append(manifests, name)
	}
	sc := stream(goodRollout, goodScenario+"  manifests: ["+strings.Join(manifests, ", ")+"]\n")
	path := filepath.Join(dir, "scenario.yaml")
	_, err := LoadData(path, []byte(sc))
	if !IsInputError(err) || !strings.Contains(err.Error(), "more than 32 MiB, the limit for one scenario") {
		t.Fatalf("got %v", err)
	}
}
