package rollout

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/rollsim/rollsim/engine/api/v1alpha1"
)

var metaKeyPath = regexp.MustCompile(`^metadata\.(labels|annotations)\['([^']*)'\]$`)

// rolloutField resolves an arg's fieldRef on the Rollout: downward-API syntax for
// metadata, a dot/index walk of the object for anything else (upstream
// BuildArgumentsForRolloutAnalysisRun).
func rolloutField(ro *v1alpha1.Rollout, path string) (string, error) {
	switch path {
	case "metadata.name":
		return ro.Name, nil
	case "metadata.namespace":
		return ro.Namespace, nil
	case "metadata.uid":
		return string(ro.UID), nil
	}
	if m := metaKeyPath.FindStringSubmatch(path); m != nil {
		if m[1] == "labels" {
			return ro.Labels[m[2]], nil
		}
		return ro.Annotations[m[2]], nil
	}
	if strings.HasPrefix(path, "metadata") {
		return "", fmt.Errorf("unsupported fieldPath: %s", path)
	}
	raw, err := json.Marshal(ro)
	if err != nil {
		return "", err
	}
	var cur any
	if err := json.Unmarshal(raw, &cur); err != nil {
		return "", err
	}
	for _, part := range splitPath(path) {
		switch node := cur.(type) {
		case map[string]any:
			next, ok := node[part]
			if !ok {
				return "", fmt.Errorf("invalid path %s in rollout", path)
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil {
				return "", fmt.Errorf("invalid index '%s'", part)
			}
			if i < 0 || i >= len(node) {
				return "", fmt.Errorf("index %d out of range", i)
			}
			cur = node[i]
		default:
			return "", fmt.Errorf("invalid path %s in rollout", path)
		}
	}
	switch v := cur.(type) {
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("path %s in rollout must terminate in a primitive value", path)
}

// splitPath turns `status.pauseConditions[0].reason` into its parts.
func splitPath(p string) []string {
	p = strings.NewReplacer("[", ".", "]", "").Replace(p)
	var out []string
	for _, s := range strings.Split(p, ".") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
