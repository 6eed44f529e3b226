package bench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
)

// Machine describes where the bench ran.
type Machine struct {
	// CPUModel is /proc/cpuinfo's "model name" (what lscpu shows).
	CPUModel string `json:"cpuModel"`
	NumCPU   int    `json:"numCPU"`
	// Cores is how many CPUs the process may use (app.Cores), which the
	// ceiling and the utilisation count; GOMAXPROCS is one more by default
	// (app.AddSpareProc).
	Cores      int `json:"cores"`
	GOMAXPROCS int `json:"gomaxprocs"`
	// MemoryMB is MemTotal from /proc/meminfo.
	MemoryMB  int64  `json:"memoryMB"`
	GoVersion string `json:"goVersion"`
	// LoadAverage is /proc/loadavg when the run started.
	LoadAverage string `json:"loadAverage"`
	OS          string `json:"os"`
	Arch        string `json:"arch"`
}

func machine() Machine {
	m := Machine{
		NumCPU: runtime.NumCPU(), Cores: app.Cores(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
	}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		m.LoadAverage = strings.Join(f[:min(3, len(f))], " ")
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		kb, _ := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
		m.MemoryMB = kb / 1024
	}
	return m
}

// procField returns the first "name: value" of a /proc file, or "".
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// currentRSSKB returns this process's resident set now (VmRSS), or 0
// where /proc is not available.
func currentRSSKB() int64 {
	v := procField("/proc/self/status", "VmRSS")
	kb, _ := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	return kb
}

// cpuStat is the whole machine's CPU time from /proc/stat: busy is every
// state but idle, iowait and steal; steal is the time a virtual machine's
// CPUs wanted to run but the hypervisor ran something else.
type cpuStat struct {
	busy, steal, total time.Duration
	ok                 bool
}

// readCPUStat reads the machine's CPU time from /proc/stat.
func readCPUStat() cpuStat {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuStat{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseCPUStat(line)
}

// parseCPUStat parses the first line of /proc/stat: "cpu" and the clock
// ticks (taken as 1/100 s: USER_HZ is 100 on Linux) spent in user, nice,
// system, idle, iowait, irq, softirq, steal, guest and guest_nice.
func parseCPUStat(line string) cpuStat {
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return cpuStat{}
	}
	var s cpuStat
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return cpuStat{}
		}
		if i >= 8 { // guest and guest_nice are already in user and nice
			break
		}
		d := time.Duration(n) * 10 * time.Millisecond
		s.total += d
		switch i {
		case 3, 4: // idle, iowait
		case 7:
			s.steal += d
		default:
			s.busy += d
		}
	}
	s.ok = true
	return s
}

// otherCores is how many cores other processes kept busy on average
// between a and b, given the CPU time ours used and the wall time.
func otherCores(a, b cpuStat, ours time.Duration, wall time.Duration) float64 {
	if !a.ok || !b.ok || wall <= 0 {
		return -1
	}
	return max(0, (b.busy-a.busy-ours).Seconds()/wall.Seconds())
}

// stolenCores is how many of the machine's cores the hypervisor ran
// something else on, on average, between a and b: CPU time this machine
// wanted and did not get (0 on bare metal; -1 when unknown).
func stolenCores(a, b cpuStat, wall time.Duration) float64 {
	if !a.ok || !b.ok || wall <= 0 {
		return -1
	}
	return max(0, (b.steal-a.steal).Seconds()/wall.Seconds())
}
