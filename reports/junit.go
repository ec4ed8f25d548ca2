package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters):
// a <testsuites> root with the totals, one <testsuite> per PATH argument (a
// file or a walked folder), one <testcase> per scenario file. A failed
// expectation is a <failure> (its message is the first mismatch, with the
// expected and the actual value; the text lists them all), invalid input an
// <error>, a scenario without an expect block <skipped>. Times are wall-clock
// seconds, as JUnit consumers expect; the virtual time is a property.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name       string          `xml:"name,attr"`
	ClassName  string          `xml:"classname,attr"`
	File       string          `xml:"file,attr"`
	Time       string          `xml:"time,attr"`
	Properties *junitProps     `xml:"properties,omitempty"`
	Failure    *junitProblem   `xml:"failure,omitempty"`
	Error      *junitProblem   `xml:"error,omitempty"`
	Skipped    *junitSkipped   `xml:"skipped,omitempty"`
	SystemOut  *junitSystemOut `xml:"system-out,omitempty"`
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitSystemOut struct {
	Text string `xml:",chardata"`
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

// JUnit writes the cases as a JUnit XML document.
func JUnit(w io.Writer, cases []Case) error {
	root := junitSuites{Name: "rollsim"}
	index := map[string]int{}
	var total float64
	suiteTime := map[string]float64{}
	for _, c := range cases {
		i, ok := index[c.Suite]
		if !ok {
			i = len(root.Suites)
			index[c.Suite] = i
			root.Suites = append(root.Suites, junitSuite{Name: c.Suite})
		}
		s := &root.Suites[i]
		jc := junitCase{Name: c.Name, ClassName: c.Suite, File: c.File, Time: seconds(c.Seconds)}
		s.Tests++
		switch c.Status {
		case Failed:
			s.Failures++
			jc.Failure = &junitProblem{Message: firstOr(c.Failures, "expectation failed"), Type: "expectation", Text: strings.Join(c.Failures, "\n")}
		case Invalid:
			s.Errors++
			jc.Error = &junitProblem{Message: firstLine(c.Error), Type: "invalid input", Text: c.Error}
		case Skipped:
			s.Skipped++
			jc.Skipped = &junitSkipped{Message: "no expect block"}
		}
		if c.Status == Passed || c.Status == Failed {
			jc.Properties = &junitProps{Props: []junitProp{{"verdict", c.Summary}, {"virtualSeconds", seconds(c.VirtualSeconds)}}}
			jc.SystemOut = &junitSystemOut{Text: c.Summary}
		}
		suiteTime[c.Suite] += c.Seconds
		total += c.Seconds
		s.Cases = append(s.Cases, jc)
	}
	for i := range root.Suites {
		s := &root.Suites[i]
		s.Time = seconds(suiteTime[s.Name])
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		root.Skipped += s.Skipped
	}
	root.Time = seconds(total)
	b, err := xml.MarshalIndent(root, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s%s\n", xml.Header, b)
	return err
}

func firstOr(lines []string, def string) string {
	if len(lines) > 0 {
		return lines[0]
	}
	return def
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
