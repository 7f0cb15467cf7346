package libkv

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/kvkit/kvkit/libkv/config"
)

// Logger writes log lines in Redis's shape (server.c serverLogRaw):
// "pid:role dd Mon yyyy hh:mm:ss.mmm <level> message", where the level mark
// is '.' debug, '-' verbose, '*' notice, '#' warning and role is M for a
// master.
type Logger struct {
	mu    sync.Mutex
	out   io.Writer
	level int
	pid   int
	role  byte
}

const (
	logDebug = iota
	logVerbose
	logNotice
	logWarning
)

var logMarks = [...]byte{'.', '-', '*', '#'}

func logLevel(name string) int {
	switch name {
	case "debug":
		return logDebug
	case "verbose":
		return logVerbose
	case "warning":
		return logWarning
	}
	return logNotice
}

func newLogger(conf *config.Values) *Logger {
	l := &Logger{out: os.Stdout, level: logLevel(conf.Loglevel), pid: os.Getpid(), role: 'M'}
	if conf.Logfile != "" {
		if f, err := os.OpenFile(conf.Logfile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
			l.out = f
		}
	}
	return l
}

func (l *Logger) setLevel(name string) {
	l.mu.Lock()
	l.level = logLevel(name)
	l.mu.Unlock()
}

func (l *Logger) logf(level int, format string, args ...any) {
	l.mu.Lock()
	min := l.level
	l.mu.Unlock()
	if level < min {
		return
	}
	now := time.Now()
	line := fmt.Sprintf("%d:%c %s %c %s\n", l.pid, l.role, now.Format("02 Jan 2006 15:04:05.000"),
		logMarks[level], fmt.Sprintf(format, args...))
	l.mu.Lock()
	io.WriteString(l.out, line)
	l.mu.Unlock()
}

// Debug, Verbose, Notice and Warning log at Redis's four levels.
func (l *Logger) Debug(format string, args ...any)   { l.logf(logDebug, format, args...) }
func (l *Logger) Verbose(format string, args ...any) { l.logf(logVerbose, format, args...) }
func (l *Logger) Notice(format string, args ...any)  { l.logf(logNotice, format, args...) }
func (l *Logger) Warning(format string, args ...any) { l.logf(logWarning, format, args...) }
