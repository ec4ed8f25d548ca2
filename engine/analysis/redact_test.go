package analysis

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Every encoding of a secret that can reach a message is redacted, for
// values with quotes, backslashes, tabs, newlines and unicode.
func TestRedactEncodings(t *testing.T) {
	secrets := []string{`a"b`, `c\d`, "e\tf", "g\nh", "ünï✓cødé", `x"y\z` + "\t\n✓<&>/ ?#="}
	encodings := map[string]func(string) string{
		"raw":        func(s string) string { return s },
		"go-quoted":  func(s string) string { q := strconv.Quote(s); return q[1 : len(q)-1] },
		"go-ascii":   func(s string) string { q := strconv.QuoteToASCII(s); return q[1 : len(q)-1] },
		"json":       func(s string) string { j, _ := json.Marshal(s); return string(j[1 : len(j)-1]) },
		"query":      url.QueryEscape,
		"path":       url.PathEscape,
		"url-path":   func(s string) string { return (&url.URL{Path: s}).EscapedPath() },
		"base64":     func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
		"base64url":  func(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) },
		"base64raw":  func(s string) string { return base64.RawStdEncoding.EncodeToString([]byte(s)) },
		"go-%q-url":  func(s string) string { return strings.Trim(fmt.Sprintf("%q", "http://x/?t="+s), `"`) },
		"url.String": func(s string) string { return (&url.URL{Scheme: "http", Host: "x", Path: "/" + s}).String() },
	}
	for _, secret := range secrets {
		for name, enc := range encodings {
			msg := "before " + enc(secret) + " after"
			got := redact(msg, []string{"other", secret})
			if strings.Contains(got, enc(secret)) && enc(secret) != "" {
				t.Errorf("%s of %q: %q not redacted: %q", name, secret, enc(secret), got)
			}
			if !strings.Contains(got, "*****") || !strings.HasPrefix(got, "before ") || !strings.HasSuffix(got, " after") {
				t.Errorf("%s of %q: %q", name, secret, got)
			}
		}
	}
	if got := redact("keep this", []string{""}); got != "keep this" {
		t.Errorf("the empty secret redacted something: %q", got)
	}
}
