package kube

import (
	"fmt"
	"testing"
)

func TestUIDAsSprintf(t *testing.T) {
	for _, c := range []struct {
		seed   int64
		serial uint64
	}{{0, 0}, {1, 1}, {-1, 255}, {0x7fffffffffff, 0xffffffffffff}, {42, 1 << 60}} {
		want := fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(c.seed), c.serial)
		if got := string(uid(c.seed, c.serial)); got != want {
			t.Errorf("uid(%d, %d) = %s, want %s", c.seed, c.serial, got, want)
		}
	}
}
