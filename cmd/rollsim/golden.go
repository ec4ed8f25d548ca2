package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rollsim/rollsim/reports"
)

// checkGolden compares (or with --update rewrites) each run scenario's text and
// JSON reports under o.golden, named after the scenario file. A difference is a
// failure of that scenario.
func (o *testOptions) checkGolden(cases []*testCase) error {
	if o.golden == "" {
		return nil
	}
	if o.update {
		if err := os.MkdirAll(o.golden, 0o755); err != nil {
			return usageError("--golden: %v", err)
		}
	}
	for _, c := range cases {
		if c.res == nil {
			continue
		}
		base := strings.TrimSuffix(filepath.Base(c.File), filepath.Ext(c.File))
		var text, js bytes.Buffer
		if err := reports.Text(&text, c.res); err != nil {
			return err
		}
		if err := reports.JSON(&js, reports.Build(c.res)); err != nil {
			return err
		}
		for _, g := range []struct {
			path string
			got  []byte
		}{{filepath.Join(o.golden, base+".txt"), text.Bytes()}, {filepath.Join(o.golden, base+".json"), js.Bytes()}} {
			if o.update {
				if err := os.WriteFile(g.path, g.got, 0o644); err != nil {
					return err
				}
				continue
			}
			want, err := os.ReadFile(g.path)
			if err != nil {
				c.fail(fmt.Sprintf("golden: %s is missing (rewrite with --update)", g.path))
				continue
			}
			if line := firstDifferentLine(want, g.got); line > 0 {
				c.fail(fmt.Sprintf("golden: report differs from %s at line %d (rewrite with --update)", g.path, line))
			}
		}
	}
	return nil
}

func (c *testCase) fail(why string) {
	c.Failures = append(c.Failures, why)
	c.Status = reports.Failed
}

func firstDifferentLine(a, b []byte) int {
	if bytes.Equal(a, b) {
		return 0
	}
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		if i >= len(la) || i >= len(lb) || la[i] != lb[i] {
			return i + 1
		}
	}
	return 1
}
