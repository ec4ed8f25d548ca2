package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Formats are the output formats, by name.
var Formats = map[string]func(io.Writer, *Result) error{
	"text":   WriteText,
	"json":   WriteJSON,
	"sarif":  WriteSARIF,
	"github": WriteGitHub,
}

// FormatNames are the names of Formats in the order help texts list them.
var FormatNames = []string{"text", "json", "sarif", "github"}

// WriteText prints each finding as file:line: severity: object [rule]
// message, with its hint on the next line, and a closing count.
func WriteText(w io.Writer, r *Result) error {
	for _, f := range r.Findings {
		if _, err := fmt.Fprintln(w, f.String()); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, Summary(r))
	return err
}

// Summary is the closing line of the text output, e.g.
// "3 findings: 1 error, 1 warning, 1 info (2 suppressed)".
func Summary(r *Result) string {
	s := fmt.Sprintf("%d findings", len(r.Findings))
	if len(r.Findings) > 0 {
		s += fmt.Sprintf(": %s, %s, %d info", plural(r.Count(Error), "error"), plural(r.Count(Warning), "warning"), r.Count(Info))
	}
	if r.Suppressed > 0 {
		s += fmt.Sprintf(" (%d suppressed)", r.Suppressed)
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// WriteJSON prints the findings as a JSON array (empty when clean).
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r.Findings)
}

// WriteGitHub prints GitHub Actions workflow commands, one per finding:
// `::error file=F,line=N,title=RULE::message` (notice for info), which the
// runner turns into annotations on the pull request.
func WriteGitHub(w io.Writer, r *Result) error {
	for _, f := range r.Findings {
		level := map[Severity]string{Error: "error", Warning: "warning", Info: "notice"}[f.Severity]
		msg := f.Object + ": " + f.Message + "\n" + "hint: " + f.Hint
		if _, err := fmt.Fprintf(w, "::%s file=%s,line=%d,title=%s::%s\n", level, ghProperty(filepath.ToSlash(f.File)), f.Line, ghProperty(f.Rule), ghData(msg)); err != nil {
			return err
		}
	}
	return nil
}

// ghData escapes a workflow command's message.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a workflow command's property value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// SARIF 2.1.0, the subset GitHub code scanning reads.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	Name                 string       `json:"name"`
	ShortDescription     sarifText    `json:"shortDescription"`
	FullDescription      sarifText    `json:"fullDescription"`
	Help                 sarifText    `json:"help"`
	DefaultConfiguration sarifDefault `json:"defaultConfiguration"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifDefault struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// WriteSARIF prints a SARIF 2.1.0 log for code-scanning uploads: every rule
// with its id, description, help and default level, and each finding with
// its level and physical location (file uri and start line).
func WriteSARIF(w io.Writer, r *Result) error {
	ids := RuleIDs()
	index := map[string]int{}
	rules := make([]sarifRule, len(ids))
	for i, id := range ids {
		rule := Rules[id]
		index[id] = i
		rules[i] = sarifRule{
			ID: id, Name: ruleName(id),
			ShortDescription:     sarifText{rule.Summary},
			FullDescription:      sarifText{rule.Summary},
			Help:                 sarifText{rule.Help},
			DefaultConfiguration: sarifDefault{sarifLevel(rule.Severity)},
		}
	}
	results := make([]sarifResult, 0, len(r.Findings))
	for _, f := range r.Findings {
		line := f.Line
		if line < 1 {
			line = 1
		}
		results = append(results, sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: sarifLevel(f.Severity),
			Message: sarifText{strings.TrimPrefix(f.Object+": ", "-: ") + f.Message + " (hint: " + f.Hint + ")"},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: sarifURI(f.File)},
				Region:           sarifRegion{StartLine: line},
			}}},
		})
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: "rollsim-lint", InformationURI: "https://github.com/rollsim/rollsim", Rules: rules}},
			Results: results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// sarifURI is a file's relative URI (forward slashes, no leading ./).
func sarifURI(file string) string {
	if file == Stdin {
		return "stdin"
	}
	u := filepath.ToSlash(filepath.Clean(file))
	return strings.ReplaceAll(u, " ", "%20")
}

// ruleName is a rule id in PascalCase (SARIF's rule name).
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}
