package parallel

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRunKeepsInputOrder(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 50} {
		var calls int
		got, err := Run(context.Background(), 20, workers, func(_ context.Context, i int) (string, error) {
			// Later jobs finish first.
			time.Sleep(time.Duration(20-i) * 100 * time.Microsecond)
			return fmt.Sprint(i), nil
		}, func(finished, total int) {
			calls++
			if total != 20 || finished != calls {
				t.Errorf("done(%d, %d) at call %d", finished, total, calls)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range got {
			if s != fmt.Sprint(i) {
				t.Fatalf("workers %d: result %d = %q", workers, i, s)
			}
		}
		if calls != 20 {
			t.Errorf("workers %d: done called %d times, want 20", workers, calls)
		}
	}
}

func TestRunReturnsFirstErrorInIndexOrder(t *testing.T) {
	boom3, boom7 := errors.New("job 3"), errors.New("job 7")
	_, err := Run(context.Background(), 10, 4, func(ctx context.Context, i int) (int, error) {
		switch i {
		case 3:
			time.Sleep(5 * time.Millisecond)
			return 0, boom3
		case 7:
			return 0, boom7
		}
		return i, nil
	}, nil)
	// Job 7 may fail first and cancel the rest; job 3 may then never start.
	if !errors.Is(err, boom3) && !errors.Is(err, boom7) {
		t.Fatalf("err = %v, want a job's own error", err)
	}
	_, err = Run(context.Background(), 10, 1, func(ctx context.Context, i int) (int, error) {
		if i == 3 {
			return 0, boom3
		}
		return i, nil
	}, nil)
	if !errors.Is(err, boom3) {
		t.Fatalf("serial: err = %v, want %v", err, boom3)
	}
}

func TestRunEmpty(t *testing.T) {
	got, err := Run(context.Background(), 0, 4, func(context.Context, int) (int, error) { return 0, errors.New("called") }, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v", got, err)
	}
}
