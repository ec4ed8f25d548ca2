package analysis

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// redacted replaces a secret value wherever it is shown.
const redacted = "*****"

// redact replaces every secret in s, in each encoding in which a value can
// reach a message (SecretForms), with *****. Upstream replaces the raw value
// only, so a secret quoted by Go (a URL in an error: `Get "http://x?t=a\"b"`),
// escaped in JSON or encoded in a URL leaks; rollsim redacts those too.
func redact(s string, secrets []string) string {
	if s == "" {
		return s
	}
	for _, secret := range secrets {
		for _, form := range SecretForms(secret) {
			s = strings.ReplaceAll(s, form, redacted)
		}
	}
	return s
}

// SecretForms is a secret value as it may appear in text, longest first: raw;
// Go-quoted (strconv.Quote and QuoteToASCII, without the quotes); JSON-escaped
// (with and without HTML escaping); URL-encoded (url.QueryEscape, PathEscape
// and a URL's escaped path); base64 (standard and URL alphabets, padded and
// not). The empty secret has no forms.
func SecretForms(secret string) []string {
	if secret == "" {
		return nil
	}
	quoted := strconv.Quote(secret)
	ascii := strconv.QuoteToASCII(secret)
	forms := []string{
		secret,
		quoted[1 : len(quoted)-1],
		ascii[1 : len(ascii)-1],
		jsonEscaped(secret, true),
		jsonEscaped(secret, false),
		url.QueryEscape(secret),
		url.PathEscape(secret),
		(&url.URL{Path: secret}).EscapedPath(),
		base64.StdEncoding.EncodeToString([]byte(secret)),
		base64.URLEncoding.EncodeToString([]byte(secret)),
		base64.RawStdEncoding.EncodeToString([]byte(secret)),
		base64.RawURLEncoding.EncodeToString([]byte(secret)),
	}
	slices.SortFunc(forms, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(forms)
}

func jsonEscaped(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}
