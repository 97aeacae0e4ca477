//go:build windows

package listeners

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	iphlpapi                = windows.NewLazySystemDLL("iphlpapi.dll")
	procGetExtendedTcpTable = iphlpapi.NewProc("GetExtendedTcpTable")
	procGetExtendedUdpTable = iphlpapi.NewProc("GetExtendedUdpTable")
)

// Table classes (TCP_TABLE_CLASS, UDP_TABLE_CLASS in iprtrmib.h).
const (
	tcpTableOwnerPIDListener = 3 // TCP_TABLE_OWNER_PID_LISTENER
	udpTableOwnerPID         = 1 // UDP_TABLE_OWNER_PID
)

func read() ([]Socket, error) {
	var out []Socket
	for _, t := range []struct {
		proc  *windows.LazyProc
		class uintptr
		af    uintptr
		parse func([]byte, bool) ([]Socket, error)
	}{
		{procGetExtendedTcpTable, tcpTableOwnerPIDListener, windows.AF_INET, ParseTCPTable},
		{procGetExtendedTcpTable, tcpTableOwnerPIDListener, windows.AF_INET6, ParseTCPTable},
		{procGetExtendedUdpTable, udpTableOwnerPID, windows.AF_INET, ParseUDPTable},
		{procGetExtendedUdpTable, udpTableOwnerPID, windows.AF_INET6, ParseUDPTable},
	} {
		b, err := extendedTable(t.proc, t.af, t.class)
		if err != nil {
			return nil, err
		}
		ss, err := t.parse(b, t.af == windows.AF_INET6)
		if err != nil {
			return nil, err
		}
		out = append(out, ss...)
	}
	names := processNames()
	for i := range out {
		out[i].Process = names[uint32(out[i].PID)]
	}
	return out, nil
}

// extendedTable calls GetExtendedTcpTable or GetExtendedUdpTable (same
// signature: table, size, order, address family, class, reserved), growing the
// buffer while it answers ERROR_INSUFFICIENT_BUFFER with the size it needs.
func extendedTable(proc *windows.LazyProc, af, class uintptr) ([]byte, error) {
	size := uint32(16 * 1024)
	for range 8 {
		b := make([]byte, size)
		r, _, _ := proc.Call(uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&size)), 0, af, class, 0)
		switch windows.Errno(r) {
		case windows.ERROR_SUCCESS:
			return b[:min(int(size), len(b))], nil
		case windows.ERROR_INSUFFICIENT_BUFFER:
			size += 4096 // sockets may have been opened since
			continue
		}
		return nil, fmt.Errorf("listeners: %s: %w", proc.Name, windows.Errno(r))
	}
	return nil, errors.New("listeners: " + proc.Name + ": the table kept growing")
}

// processNames maps PIDs to executable names from a Toolhelp snapshot, which
// names every process, including other users' and services', without the
// privileges OpenProcess would need. PID 4 is "System": kernel listeners such
// as http.sys (IIS, WinRM, WSUS) show as owned by it.
func processNames() map[uint32]string {
	names := map[uint32]string{}
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return names
	}
	defer windows.CloseHandle(snap)
	var e windows.ProcessEntry32
	e.Size = uint32(unsafe.Sizeof(e))
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		names[e.ProcessID] = windows.UTF16ToString(e.ExeFile[:])
	}
	return names
}
