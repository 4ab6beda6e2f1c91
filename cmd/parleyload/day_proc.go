package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procRSSKB reads VmRSS (KB) from /proc/PID/status.
func procRSSKB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmRSS(b)
}

func parseVmRSS(status []byte) (int64, error) {
	for _, line := range bytes.Split(status, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := strings.Fields(string(rest))
			if len(f) >= 1 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}

// procCPU is the CPU time of PID, its threads' run time (cost.go's cpuNs:
// schedstat where there is one, stat's ticks otherwise).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	st, err := parseStat(b)
	if err != nil {
		return 0, err
	}
	return time.Duration(cpuNs("/proc", st)), nil
}

// procWatch measures one process over one mode: its RSS before, sampled in
// the second half of the message phase, and its CPU time in the phase. A
// zero pid watches nothing.
type procWatch struct {
	pid      int
	base     int64
	cpu0     time.Duration
	cpu      time.Duration
	mu       sync.Mutex
	samples  []float64
	stop     chan struct{}
	finished chan struct{}
	err      error
}

func newProcWatch(pid int) *procWatch {
	w := &procWatch{pid: pid}
	if pid > 0 {
		w.base, w.err = procRSSKB(pid)
	}
	return w
}

func (w *procWatch) startPhase(start, end time.Time, every time.Duration) {
	if w.pid <= 0 || w.err != nil {
		return
	}
	w.cpu0, w.err = procCPU(w.pid)
	w.stop, w.finished = make(chan struct{}), make(chan struct{})
	half := start.Add(end.Sub(start) / 2)
	go func() {
		defer close(w.finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case now := <-t.C:
				if now.Before(half) {
					continue
				}
				if kb, err := procRSSKB(w.pid); err == nil {
					w.mu.Lock()
					w.samples = append(w.samples, float64(kb))
					w.mu.Unlock()
				}
			}
		}
	}()
}

func (w *procWatch) endPhase() {
	if w.stop == nil {
		return
	}
	if c, err := procCPU(w.pid); err == nil {
		w.cpu = c - w.cpu0
	} else {
		w.err = err
	}
	close(w.stop)
	<-w.finished
	w.stop = nil
	if len(w.samples) == 0 { // a phase shorter than two samples: one now
		if kb, err := procRSSKB(w.pid); err == nil {
			w.samples = append(w.samples, float64(kb))
		}
	}
}

// figures are the watch's results for sessions live sessions over a phase
// of length phase; nil when nothing was watched.
func (w *procWatch) figures(sessions int, phase time.Duration) *procFigures {
	if w.pid <= 0 || w.err != nil {
		return nil
	}
	w.mu.Lock()
	steady := int64(median(append([]float64(nil), w.samples...)))
	w.mu.Unlock()
	f := &procFigures{PID: w.pid, BaseRSSKB: w.base, SteadyRSSKB: steady, CPUSeconds: w.cpu.Seconds()}
	if sessions > 0 {
		f.RSSKBPerSession = float64(steady-w.base) / float64(sessions)
		if phase > 0 {
			f.CPUMsPerSessionMin = float64(w.cpu.Milliseconds()) / float64(sessions) / phase.Minutes()
		}
	}
	return f
}

// medianProc is the field-by-field median of the rounds' figures (nil when
// a round has none).
func medianProc(fs []*procFigures) *procFigures {
	var base, steady, per, cpu, perMin []float64
	for _, f := range fs {
		if f == nil {
			return nil
		}
		base, steady = append(base, float64(f.BaseRSSKB)), append(steady, float64(f.SteadyRSSKB))
		per, cpu, perMin = append(per, f.RSSKBPerSession), append(cpu, f.CPUSeconds), append(perMin, f.CPUMsPerSessionMin)
	}
	if len(fs) == 0 {
		return nil
	}
	return &procFigures{PID: fs[0].PID, BaseRSSKB: int64(median(base)), SteadyRSSKB: int64(median(steady)),
		RSSKBPerSession: median(per), CPUSeconds: median(cpu), CPUMsPerSessionMin: median(perMin)}
}
