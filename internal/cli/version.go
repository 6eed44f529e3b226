package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Version and BuildDate are set at build time with
// -ldflags "-X …/internal/cli.Version=v1.2.3 -X …/internal/cli.BuildDate=2026-12-04T20:00:00Z".
var (
	Version   = ""
	BuildDate = ""
)

// buildInfo is what the binary knows of its build.
type buildInfo struct {
	version, commit, date, goVersion string
	modified                         bool
}

// readBuildInfo reads the build from the -ldflags values and from what the
// Go toolchain recorded (debug.ReadBuildInfo: the module version,
// vcs.revision, vcs.time, vcs.modified).
func readBuildInfo() buildInfo {
	b := buildInfo{version: Version, date: BuildDate, goVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b.withDefaults()
	}
	b.goVersion = info.GoVersion
	if b.version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		b.version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.commit = s.Value
		case "vcs.time":
			if b.date == "" {
				b.date = s.Value + " (commit time)"
			}
		case "vcs.modified":
			b.modified = s.Value == "true"
		}
	}
	return b.withDefaults()
}

func (b buildInfo) withDefaults() buildInfo {
	if b.version == "" {
		b.version = "dev"
	}
	if b.commit == "" {
		b.commit = "unknown"
	} else if b.modified {
		b.commit += " (modified)"
	}
	if b.date == "" {
		b.date = "unknown"
	}
	return b
}

// version returns the build's version: the -ldflags value, else the module
// version recorded by the Go toolchain, else "dev".
func version() string { return readBuildInfo().version }

// versionText is what --version and the version command print.
func versionText() string {
	b := readBuildInfo()
	var s strings.Builder
	fmt.Fprintf(&s, "ivvy-notify %s\n", b.version)
	fmt.Fprintf(&s, "  commit:  %s\n", b.commit)
	fmt.Fprintf(&s, "  built:   %s\n", b.date)
	fmt.Fprintf(&s, "  go:      %s %s/%s\n", b.goVersion, runtime.GOOS, runtime.GOARCH)
	return s.String()
}

func newVersionCmd(io IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprint(io.Stdout, versionText())
		},
	}
}
