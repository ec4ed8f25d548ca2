package reports_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"github.com/rollsim/rollsim/reports"
)

func sampleCases(n int) []reports.Case {
	cases := []reports.Case{
		{Suite: "a", File: "a/bad.yaml", Name: "a/bad.yaml", Status: reports.Invalid, Error: "a/bad.yaml:3: document 1: spec.x: unknown field", Seconds: 0.001},
		{Suite: "a", File: "a/fail.yaml", Name: "fail", Status: reports.Failed, Summary: "Aborted at 1m", Failures: []string{"outcome: want Promoted, got Aborted", "within: want a decision by 30s, decided at 1m0s"}, Seconds: 0.5, VirtualSeconds: 60},
	}
	for i := range n {
		cases = append(cases, reports.Case{Suite: "b.yaml", File: fmt.Sprintf("b%03d.yaml", i), Name: fmt.Sprintf("ok-%03d", i), Status: reports.Passed, Summary: "Promoted at 5m", Seconds: 0.25})
	}
	return append(cases, reports.Case{Suite: "b.yaml", File: "c.yaml", Name: "noexp", Status: reports.Skipped})
}

func TestJUnitParses(t *testing.T) {
	var b bytes.Buffer
	if err := reports.JUnit(&b, sampleCases(2)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName  xml.Name
		Tests    int     `xml:"tests,attr"`
		Failures int     `xml:"failures,attr"`
		Errors   int     `xml:"errors,attr"`
		Skipped  int     `xml:"skipped,attr"`
		Time     float64 `xml:"time,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Error   *struct{} `xml:"error"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if doc.XMLName.Local != "testsuites" || doc.Tests != 5 || doc.Failures != 1 || doc.Errors != 1 || doc.Skipped != 1 || doc.Time != 1.001 {
		t.Errorf("root %+v", doc)
	}
	if len(doc.Suites) != 2 || doc.Suites[0].Name != "a" || doc.Suites[1].Tests != 3 {
		t.Errorf("suites %+v", doc.Suites)
	}
	f := doc.Suites[0].Cases[1].Failure
	if f == nil || f.Message != "outcome: want Promoted, got Aborted" || !strings.Contains(f.Text, "within: want a decision by 30s, decided at 1m0s") {
		t.Errorf("failure %+v", f)
	}
	if doc.Suites[0].Cases[0].Error == nil || doc.Suites[1].Cases[2].Skipped == nil {
		t.Error("no <error> for the invalid file or no <skipped>")
	}
}

func TestSummaryCollapsesPassingRows(t *testing.T) {
	var b bytes.Buffer
	if err := reports.TestSummary(&b, sampleCases(60)); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if !strings.HasPrefix(md, "### ❌ rollsim test: 60 passed, 2 failed, 1 skipped\n") {
		t.Errorf("heading: %q", strings.SplitN(md, "\n", 2)[0])
	}
	bad, details := strings.Index(md, "| ❌ | fail |"), strings.Index(md, "<details><summary>60 passed, 1 skipped</summary>")
	if bad < 0 || details < 0 || bad > details {
		t.Errorf("failures should come first, the passing rows collapsed:\n%s", md[:min(len(md), 800)])
	}
	if !strings.Contains(md, "<details><summary>fail: 2 mismatches</summary>") {
		t.Error("the second mismatch is not listed")
	}
	var lines bytes.Buffer
	if err := reports.TestLines(&lines, sampleCases(1)); err != nil {
		t.Fatal(err)
	}
	want := "ERROR a/bad.yaml:3: document 1: spec.x: unknown field\n" +
		"FAIL  fail  Aborted at 1m  (a/fail.yaml)\n      outcome: want Promoted, got Aborted\n      within: want a decision by 30s, decided at 1m0s\n" +
		"PASS  ok-000  Promoted at 5m  (b000.yaml)\nSKIP  noexp  no expect block  (c.yaml)\n1 passed, 2 failed, 1 skipped\n"
	if lines.String() != want {
		t.Errorf("lines:\n%s\nwant:\n%s", lines.String(), want)
	}
}
