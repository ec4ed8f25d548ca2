package scenario

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Limits on what one scenario may ask for. Each keeps the worst input a user
// can write within bounded memory and time (README, "Limits"); going past one
// is invalid input, named like any other.
const (
	// MaxFileBytes bounds one file: the scenario or a manifest.
	MaxFileBytes = 8 << 20
	// MaxTotalBytes bounds the scenario and all its manifests together.
	MaxTotalBytes = 32 << 20
	// MaxDocuments bounds the YAML documents of the scenario and its manifests.
	MaxDocuments = 10000
	// MaxSamples bounds the samples the embedded Prometheus holds for one
	// run: spec.series and the traffic series over warmup + until.
	MaxSamples = 10_000_000
	// MaxVirtualTime bounds warmup + until.
	MaxVirtualTime = 90 * 24 * time.Hour
	// MaxSteps bounds the steps of a canary strategy.
	MaxSteps = 1000
	// MaxReplicas bounds the replicas of the Rollout and of each experiment
	// template.
	MaxReplicas = 5000
	// MaxMeasurements bounds the measurements one run may take, counted per
	// metric reference as the smaller of count and the run length / interval.
	MaxMeasurements = 100_000
)

// Start times a scenario may use (spec.startTime): Prometheus timestamps and
// Kubernetes times stay far from the int64-nanosecond overflow of 2262.
var (
	MinStartTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxStartTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ErrInternal marks a failure of rollsim itself (a panic recovered while
// reading input): a bug, never invalid input.
var ErrInternal = errors.New("internal error")

// InternalError is a rollsim bug met while handling the input in File.
type InternalError struct {
	File  string
	Panic any
	Stack string
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("%s: rollsim bug while reading this input (please report it with the file): %v", e.File, e.Panic)
}

func (e *InternalError) Unwrap() error { return ErrInternal }

// ReadFile reads a scenario or manifest file, refusing what is not a regular
// file or a pipe (devices such as /dev/zero, directories, sockets) and files
// larger than MaxFileBytes.
func ReadFile(path string) ([]byte, error) { return ReadFileLimit(path, MaxFileBytes) }

// ReadFileLimit is ReadFile with another size limit (tune's partial results).
func ReadFileLimit(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch m := st.Mode(); {
	case m.IsRegular(), m&os.ModeNamedPipe != 0:
	case m.IsDir():
		return nil, errors.New("is a directory, not a file")
	default:
		return nil, fmt.Errorf("not a regular file (%s): rollsim reads scenario and manifest files only", fileKind(m))
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, fmt.Errorf("larger than %s, the limit for one file", byteSize(limit))
	}
	return data, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "mode " + m.String()
}

func byteSize(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// notationRepeatRE finds the repeat counts of promtool's expanding notation
// ("a+bxN", "a-bxN", "axN", "_xN", "stalexN"). A hexadecimal number (0x1f) is
// matched by the first alternative and not counted as a repeat.
var notationRepeatRE = regexp.MustCompile(`(?i)\b0x[0-9a-f]+|x\s*([0-9]+)`)

// NotationSamples is an upper bound of the values a promtool-notation value
// string expands to, computed without expanding it.
func NotationSamples(values string) uint64 {
	n := uint64(len(strings.Fields(values)))
	for _, m := range notationRepeatRE.FindAllStringSubmatch(values, -1) {
		if m[1] == "" {
			continue
		}
		r, err := strconv.ParseUint(m[1], 10, 64)
		if err != nil || r > MaxSamples {
			return MaxSamples + 1 + n
		}
		n += r + 1
		if n > MaxSamples {
			return n
		}
	}
	return n
}
