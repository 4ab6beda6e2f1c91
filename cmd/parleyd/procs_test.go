package main

import "testing"

func TestProcsFor(t *testing.T) {
	for _, c := range []struct {
		env  string
		cpus int
		want int
	}{
		{"", 1, 1}, {"", 2, 1}, {"", 4, 0}, {"", 64, 0},
		{"2", 2, 0}, {"1", 8, 0}, // the variable decides
		{"0", 2, 1}, {"many", 2, 1}, {"-3", 16, 0}, // not a count: as if unset
	} {
		if got := procsFor(c.env, c.cpus); got != c.want {
			t.Errorf("procsFor(%q, %d) = %d, want %d", c.env, c.cpus, got, c.want)
		}
	}
}
