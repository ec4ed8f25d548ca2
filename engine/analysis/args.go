package analysis

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

// substitute replaces every {{args.<name>}} in the metric. Like upstream
// (utils/analysis/helpers.go ResolveMetricArgs) it templates the metric's JSON form,
// so every string field is covered and values are JSON-escaped.
func substitute(metric v1alpha1.Metric, args []v1alpha1.Argument) (v1alpha1.Metric, error) {
	values := make(map[string]string, len(args))
	for _, a := range args {
		if a.Value == nil {
			return metric, fmt.Errorf("argument \"%s\" was not supplied", a.Name)
		}
		values["args."+a.Name] = *a.Value
	}
	raw, err := json.Marshal(metric)
	if err != nil {
		return metric, err
	}
	src := string(raw)
	if !strings.Contains(src, "{{") {
		return metric, nil
	}
	var out strings.Builder
	for {
		i := strings.Index(src, "{{")
		if i < 0 {
			out.WriteString(src)
			break
		}
		out.WriteString(src[:i])
		rest := src[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return metric, fmt.Errorf("Cannot find end tag=%q in the template=%q starting from %q", "}}", string(raw), src[i:])
		}
		tag := rest[:j]
		v, ok := values[strings.TrimSpace(tag)]
		if !ok {
			return metric, fmt.Errorf("failed to resolve {{%s}}", tag)
		}
		esc, _ := json.Marshal(v)
		out.Write(esc[1 : len(esc)-1])
		src = rest[j+2:]
	}
	var resolved v1alpha1.Metric
	if err := json.Unmarshal([]byte(out.String()), &resolved); err != nil {
		return metric, err
	}
	return resolved, nil
}

// withoutSecrets returns args where secret-backed values are placeholders, as the
// controller does when it only needs the metrics' shape (validation, scheduling).
func withoutSecrets(args []v1alpha1.Argument) []v1alpha1.Argument {
	out := make([]v1alpha1.Argument, len(args))
	for i, a := range args {
		out[i] = *a.DeepCopy()
		if a.ValueFrom != nil && a.ValueFrom.SecretKeyRef != nil {
			v := "temp-for-secret"
			out[i].ValueFrom = nil
			out[i].Value = &v
		}
	}
	return out
}

func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// ResolveMetric substitutes args into a metric as the controller does; its errors
// are the controller's (`failed to resolve {{args.x}}`, `argument "x" was not supplied`).
func ResolveMetric(metric v1alpha1.Metric, args []v1alpha1.Argument) (v1alpha1.Metric, error) {
	return substitute(metric, args)
}
