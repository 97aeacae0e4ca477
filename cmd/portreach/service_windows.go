//go:build windows

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// The service loop's states and controls are winsvc.h's values, as svc's are:
// a constant index out of range here fails the Windows build.
var (
	_ = [1]struct{}{}[svc.Stopped-svc.State(stateStopped)]
	_ = [1]struct{}{}[svc.StartPending-svc.State(stateStartPending)]
	_ = [1]struct{}{}[svc.StopPending-svc.State(stateStopPending)]
	_ = [1]struct{}{}[svc.Running-svc.State(stateRunning)]
	_ = [1]struct{}{}[svc.Stop-svc.Cmd(controlStop)]
	_ = [1]struct{}{}[svc.Interrogate-svc.Cmd(controlInterrogate)]
	_ = [1]struct{}{}[svc.Shutdown-svc.Cmd(controlShutdown)]
	_ = [1]struct{}{}[windows.ERROR_SERVICE_SPECIFIC_ERROR-errorServiceSpecific]
)

// eventID is the event identifier of every entry: the event source is
// installed with EventCreate.exe as its message file (eventlog.InstallAsEventCreate),
// which has a message for identifiers 1 to 1000 that shows the entry's text.
const eventID = 1

// runAsService runs serve under the service control manager when it started
// this process (svc.IsWindowsService), as the example's main does first. It
// reports false when this is no service: serve then runs in the console.
func runAsService(args []string) (bool, int) {
	inService, err := svc.IsWindowsService()
	if err != nil || !inService {
		return false, exitOK
	}
	elog, err := eventlog.Open(serviceName)
	if err != nil {
		return true, exitFailed // nowhere to say why
	}
	defer elog.Close()
	h := &serviceHandler{args: args, elog: elog}
	if err := svc.Run(serviceName, h); err != nil {
		elog.Error(eventID, fmt.Sprintf("portreach serve: the service control manager did not run it: %v", err))
		return true, exitFailed
	}
	return true, h.code
}

// serviceHandler is serve as an svc.Handler.
type serviceHandler struct {
	args []string
	elog *eventlog.Log
	code int
}

func (h *serviceHandler) log(level eventLevel, msg string) {
	switch level {
	case eventError:
		h.elog.Error(eventID, msg)
	case eventWarning:
		h.elog.Warning(eventID, msg)
	default:
		h.elog.Info(eventID, msg)
	}
}

// Execute runs serviceLoop between the service control manager's channels,
// converting its requests and statuses; serve's standard error goes to the
// event log. args are those of StartService, unused: serve's flags are on the
// service's command line.
func (h *serviceHandler) Execute(_ []string, r <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	controls := make(chan svcControl)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		for {
			select {
			case c := <-r:
				select {
				case controls <- svcControl(c.Cmd):
				case <-quit:
					return
				}
			case <-quit:
				return
			}
		}
	}()
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	report := func(s svcStatus) {
		st := svc.Status{State: svc.State(s.State), CheckPoint: s.CheckPoint, WaitHint: s.WaitHint}
		if s.AcceptStop {
			st.Accepts = svc.AcceptStop | svc.AcceptShutdown
		}
		changes <- st
	}
	start := func() (serviceRunner, int) {
		s, code := startServe(context.Background(), h.args, io.Discard, &eventWriter{emit: h.log})
		if s == nil {
			return nil, code
		}
		return s, exitOK
	}
	h.code = serviceLoop(controls, report, h.log, start, ticker.C)
	return h.code != exitOK, uint32(h.code)
}

// manageService carries out install, uninstall, start and stop with svc/mgr,
// as the example's installService, removeService, startService and
// controlService do.
func manageService(action string, args []string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "portreach service %s: %v\n", action, err)
		return exitFailed
	}
	var sargs []string
	if action == "install" {
		var err error
		if sargs, err = serviceArgs(args); err != nil {
			fmt.Fprintf(stderr, "portreach service install: %v\n", err)
			return exitUsage
		}
	}
	m, err := mgr.Connect()
	if err != nil {
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
			err = fmt.Errorf("%w: run it from an elevated prompt (Run as administrator)", err)
		}
		return fail(err)
	}
	defer m.Disconnect()
	s, openErr := m.OpenService(serviceName)
	if openErr == nil {
		defer s.Close()
	}
	switch action {
	case "install":
		return installService(m, s, openErr == nil, sargs, stdout, fail)
	}
	if openErr != nil {
		if action == "uninstall" {
			fmt.Fprintf(stdout, "portreach service uninstall: service %s is not installed\n", serviceName)
			return exitOK
		}
		return fail(fmt.Errorf("service %s is not installed (portreach service install): %w", serviceName, openErr))
	}
	query := func() (svcQuery, error) {
		st, err := s.Query()
		return svcQuery{State: svcState(st.State), Win32ExitCode: st.Win32ExitCode, ServiceSpecificExitCode: st.ServiceSpecificExitCode}, err
	}
	stop := func() error {
		q, err := query()
		if err != nil || q.State == stateStopped {
			return err
		}
		if q.State != stateStopPending {
			if _, err := s.Control(svc.Stop); err != nil {
				return fmt.Errorf("could not send stop: %w", err)
			}
		}
		return awaitState(query, stateStopped, time.Sleep)
	}
	switch action {
	case "start":
		if err := s.Start(); err != nil && !errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
			return fail(fmt.Errorf("could not start service %s: %w", serviceName, err))
		}
		if err := awaitState(query, stateRunning, time.Sleep); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "portreach service start: service %s is running\n", serviceName)
	case "stop":
		if err := stop(); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "portreach service stop: service %s is stopped\n", serviceName)
	case "uninstall":
		if err := stop(); err != nil {
			return fail(err)
		}
		if err := s.Delete(); err != nil {
			return fail(err)
		}
		if err := eventlog.Remove(serviceName); err != nil && !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
			return fail(fmt.Errorf("service removed; its event log source not: %w", err))
		}
		fmt.Fprintf(stdout, "portreach service uninstall: service %s removed\n", serviceName)
	}
	return exitOK
}

// installService creates the service as installDecision says, with its
// recovery actions and event log source; a step that fails undoes the
// service.
func installService(m *mgr.Mgr, existing *mgr.Service, exists bool, sargs []string, stdout io.Writer, fail func(error) int) int {
	exe, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	want := commandLine(exe, sargs)
	installed := ""
	if exists {
		cfg, err := existing.Config()
		if err != nil {
			return fail(err)
		}
		installed = cfg.BinaryPathName
	}
	create, err := installDecision(exists, installed, want)
	if err != nil {
		return fail(err)
	}
	if !create {
		fmt.Fprintf(stdout, "portreach service install: service %s is already installed with this command line; nothing to do\n", serviceName)
		return exitOK
	}
	s, err := m.CreateService(serviceName, exe, mgr.Config{
		StartType:        mgr.StartAutomatic,
		DelayedAutoStart: true,
		ErrorControl:     mgr.ErrorNormal,
		DisplayName:      serviceDisplayName,
		Description:      serviceDescription,
		ServiceStartName: serviceAccount,
	}, sargs...)
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	undo := func(err error) int {
		s.Delete()
		return fail(err)
	}
	var actions []mgr.RecoveryAction
	for _, d := range serviceRecovery {
		actions = append(actions, mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: d})
	}
	if err := s.SetRecoveryActions(actions, uint32(serviceResetPeriod/time.Second)); err != nil {
		return undo(err)
	}
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return undo(err)
	}
	err = eventlog.InstallAsEventCreate(serviceName, eventlog.Error|eventlog.Warning|eventlog.Info)
	if err != nil && !strings.HasSuffix(err.Error(), "registry key already exists") {
		return undo(fmt.Errorf("event log source: %w", err))
	}
	fmt.Fprintf(stdout, "portreach service install: installed service %s (%s), automatic (delayed) start, as %s:\n  %s\nstart it with: portreach service start\n",
		serviceName, serviceDisplayName, serviceAccount, want)
	return exitOK
}
