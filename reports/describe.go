package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rollsim/rollsim/sim"
)

// describe prints an object the way `kubectl describe` prints a custom resource:
// name, namespace, labels and annotations, then every field, sorted, as
// "Title Case:<tab>value", and the object's events.
func describe(w io.Writer, obj client.Object, apiVersion, kind string, events []sim.Entry, now time.Duration) error {
	raw, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var content map[string]any
	if err := dec.Decode(&content); err != nil {
		return err
	}
	content["apiVersion"], content["kind"] = apiVersion, kind
	if md, ok := content["metadata"].(map[string]any); ok {
		for _, k := range []string{"name", "namespace", "labels", "annotations", "managedFields"} {
			delete(md, k)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\n", obj.GetName())
	fmt.Fprintf(tw, "Namespace:\t%s\n", obj.GetNamespace())
	multiline(tw, "Labels", obj.GetLabels(), "=")
	multiline(tw, "Annotations", obj.GetAnnotations(), ": ")
	printContent(tw, 0, content)
	if len(events) == 0 {
		fmt.Fprintf(tw, "Events:\t<none>\n")
		return tw.Flush()
	}
	fmt.Fprintf(tw, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n")
	for _, e := range events {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", e.Type, e.Reason, duration.HumanDuration(now-e.At), "rollouts-controller", e.Message)
	}
	return tw.Flush()
}

func multiline(w io.Writer, title string, m map[string]string, sep string) {
	if len(m) == 0 {
		fmt.Fprintf(w, "%s:\t<none>\n", title)
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			fmt.Fprintf(w, "%s:\t%s%s%s\n", title, k, sep, m[k])
		} else {
			fmt.Fprintf(w, "\t%s%s%s\n", k, sep, m[k])
		}
	}
}

func printContent(w io.Writer, level int, content map[string]any) {
	indent := strings.Repeat("  ", level)
	keys := make([]string, 0, len(content))
	for k := range content {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := content[k].(type) {
		case map[string]any:
			fmt.Fprintf(w, "%s%s:\n", indent, smartLabel(k))
			printContent(w, level+1, v)
		case []any:
			fmt.Fprintf(w, "%s%s:\n", indent, smartLabel(k))
			for _, child := range v {
				if m, ok := child.(map[string]any); ok {
					printContent(w, level+1, m)
				} else {
					fmt.Fprintf(w, "%s  %v\n", indent, child)
				}
			}
		default:
			fmt.Fprintf(w, "%s%s:\t%v\n", indent, smartLabel(k), v)
		}
	}
}

// smartLabel turns a field name into kubectl's label: camelCase split into
// title-cased words, common acronyms upper-cased ("apiVersion" -> "API Version",
// "rollouts-pod-template-hash" -> "Rollouts - Pod - Template - Hash").
func smartLabel(field string) string {
	if strings.IndexFunc(field, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' }) != -1 {
		return field
	}
	acronyms := map[string]bool{"API": true, "URL": true, "UID": true, "OSB": true, "GUID": true}
	var out []string
	for _, p := range splitCamel(field) {
		if acronyms[strings.ToUpper(p)] {
			p = strings.ToUpper(p)
		} else {
			p = strings.ToUpper(p[:1]) + p[1:]
		}
		out = append(out, p)
	}
	return strings.Join(out, " ")
}

// splitCamel splits at changes between lower case, upper case and other runes;
// an upper-case run followed by lower case gives its last letter to the next word.
func splitCamel(s string) []string {
	class := func(r rune) int {
		switch {
		case unicode.IsLower(r):
			return 1
		case unicode.IsUpper(r):
			return 2
		case unicode.IsDigit(r):
			return 3
		}
		return 4
	}
	var runs [][]rune
	last := 0
	for _, r := range s {
		c := class(r)
		if c == last && len(runs) > 0 {
			runs[len(runs)-1] = append(runs[len(runs)-1], r)
		} else {
			runs = append(runs, []rune{r})
		}
		last = c
	}
	for i := 0; i < len(runs)-1; i++ {
		if class(runs[i][0]) == 2 && class(runs[i+1][0]) == 1 && len(runs[i]) > 0 {
			moved := runs[i][len(runs[i])-1]
			runs[i+1] = append([]rune{moved}, runs[i+1]...)
			runs[i] = runs[i][:len(runs[i])-1]
		}
	}
	var out []string
	for _, r := range runs {
		if len(r) > 0 {
			out = append(out, string(r))
		}
	}
	return out
}
