package main

import (
	"os"
	"runtime"
	"strconv"
)

// smallMachine is the most CPUs on which parleyd runs Go code on one thread
// only (runtime.GOMAXPROCS(1)) unless the GOMAXPROCS variable says
// otherwise. On such a machine parleyd shares the CPUs with the XMPP server
// and Postgres, and its work per message is a few goroutines handing a
// stanza on (read, engine, commit, write): on one thread a hand-over is a
// switch on that thread instead of waking another, which measured on 2
// cores (docs/benchmarks.md, "GOMAXPROCS for parleyd") 20-28% less CPU per
// message, loaded and unloaded, the same loaded throughput, and 0.15 ms off
// the unloaded p50 on one of two machines. A larger machine keeps Go's
// default, one thread per CPU, which the decoding, committing and writing
// of a large service's load needs.
const smallMachine = 2

// procsFor is the GOMAXPROCS parleyd sets for the GOMAXPROCS variable env
// and cpus CPUs, or 0 to leave Go's choice (the variable's, when it is set
// to a number).
func procsFor(env string, cpus int) int {
	if n, err := strconv.Atoi(env); err == nil && n > 0 {
		return 0
	}
	if cpus <= smallMachine {
		return 1
	}
	return 0
}

// setProcs applies procsFor to this process and returns GOMAXPROCS as it
// is after.
func setProcs() int {
	if n := procsFor(os.Getenv("GOMAXPROCS"), runtime.NumCPU()); n > 0 {
		runtime.GOMAXPROCS(n)
	}
	return runtime.GOMAXPROCS(0)
}
