package scenario

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Providers scripts the answers of metric providers other than Prometheus.
type Providers struct {
	// Answers of web metrics, per URL.
	Web []WebScript `json:"web,omitempty"`
	// Outcomes of job metrics' Jobs, per metric.
	Job []JobScript `json:"job,omitempty"`
	// Values of metrics of any other provider, per metric.
	Values []ValueScript `json:"values,omitempty"`
}

// WebScript answers requests to one URL (after argument substitution), one
// response per request; the last one repeats.
type WebScript struct {
	// The URL the metric requests, after argument substitution.
	URL string `json:"url"`
	// The request method (default: any).
	Method string `json:"method,omitempty"`
	// One response per request; the last one repeats.
	Responses []WebResponse `json:"responses"`
}

// WebResponse is one scripted answer: a status and body, or a transport error.
type WebResponse struct {
	// The HTTP status code (default 200).
	Status int `json:"status,omitempty"`
	// The response body.
	Body string `json:"body,omitempty"`
	// A transport error instead of a response.
	Error string `json:"error,omitempty"`
}

// JobScript says how the Jobs of one job metric end, one result per measurement;
// the last one repeats.
type JobScript struct {
	// The job metric's name.
	Metric string `json:"metric"`
	// How each measurement's Job ends; the last one repeats.
	Results []JobResult `json:"results"`
}

// JobResult is "Succeeded", "Failed", "Succeeded after 2m" or
// {result: Failed, after: 30s}. Without `after` the Job takes DefaultJobDuration.
// "ImagePullBackOff" is a Job whose pod never starts (its image cannot be
// pulled): the Job stays active, so the measurement keeps running, until the
// Job's activeDeadlineSeconds (if any) fails it with DeadlineExceeded, as the
// Job controller does; `after` does not apply.
type JobResult struct {
	Result string    `json:"result"`
	After  *Duration `json:"after,omitempty"`
}

// JobImagePullBackOff is the result of a Job whose pod never starts.
const JobImagePullBackOff = "ImagePullBackOff"

// DefaultJobDuration is how long a scripted Job runs when the script does not say.
const DefaultJobDuration = 30 * time.Second

// UnmarshalJSON accepts the string and the object forms.
func (r *JobResult) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		parts := strings.Fields(s)
		switch {
		case len(parts) == 1:
			r.Result = parts[0]
		case len(parts) == 3 && parts[1] == "after":
			d, err := time.ParseDuration(parts[2])
			if err != nil {
				return fmt.Errorf("invalid duration %q in %q", parts[2], s)
			}
			r.Result, r.After = parts[0], &Duration{d}
		default:
			return fmt.Errorf("want Succeeded, Failed, ImagePullBackOff or e.g. \"Succeeded after 2m\", got %q", s)
		}
		return r.check()
	}
	type plain JobResult
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = JobResult(p)
	return r.check()
}

func (r *JobResult) check() error {
	switch r.Result {
	case "Succeeded", "Failed":
	case JobImagePullBackOff:
		if r.After != nil {
			return fmt.Errorf("job result %s: a pod that never starts takes no \"after\"", r.Result)
		}
	default:
		return fmt.Errorf("job result %q: want Succeeded, Failed or ImagePullBackOff", r.Result)
	}
	if r.After != nil && r.After.Duration < 0 {
		return fmt.Errorf("job result after %s: must not be negative", r.After.Duration)
	}
	return nil
}

// ValueScript gives the values of a metric whose provider rollsim does not
// model (datadog, newRelic, cloudWatch, ...), one per measurement; the last repeats.
type ValueScript struct {
	// The metric's name.
	Metric string `json:"metric"`
	// One value per measurement; the last one repeats.
	Values []Value `json:"values"`
}

// Value is a number or a string, as a provider would return it.
type Value struct {
	Number *float64
	Text   *string
}

// UnmarshalJSON accepts a number or a string.
func (v *Value) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		v.Number = &f
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a number or a string, got %s", b)
	}
	v.Text = &s
	return nil
}

// MarshalJSON writes the number or the string.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.Number != nil {
		return json.Marshal(*v.Number)
	}
	if v.Text != nil {
		return json.Marshal(*v.Text)
	}
	return []byte("null"), nil
}

// result is the value as a provider's result: float64 or string.
// Result is the value as a provider returns it (a float64, a string or nil)
// and as text.
func (v Value) Result() (any, string) {
	if v.Number != nil {
		return *v.Number, strconv.FormatFloat(*v.Number, 'f', -1, 64)
	}
	if v.Text != nil {
		return *v.Text, *v.Text
	}
	return nil, ""
}
