package loadgen

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kvkit/kvkit/internal/respclient"
)

// SlotCount is the number of Redis Cluster hash slots.
const SlotCount = 16384

var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for j := 0; j < 8; j++ {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return
}()

// crc16 is CRC16-XMODEM (polynomial 0x1021, initial 0), the checksum Redis
// Cluster hashes keys with (cluster.c, crc16.c).
func crc16(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c = c<<8 ^ crc16Table[byte(c>>8)^x]
	}
	return c
}

// KeySlot returns the hash slot of key, honouring a non-empty {hash tag}
// as Redis 7.0's keyHashSlot does.
func KeySlot(key []byte) int {
	for i, c := range key {
		if c == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j > i+1 {
						key = key[i+1 : j]
					}
					return int(crc16(key) & (SlotCount - 1))
				}
			}
			break
		}
	}
	return int(crc16(key) & (SlotCount - 1))
}

// slotTags holds, for every slot, a short "{xyz}" hash tag that hashes to
// it; built once by search (at most 3 letters cover all 16384 slots).
var slotTags = sync.OnceValue(func() [][]byte {
	tags := make([][]byte, SlotCount)
	left := SlotCount
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var try func(prefix []byte, depth int)
	try = func(prefix []byte, depth int) {
		for i := 0; i < len(alphabet) && left > 0; i++ {
			s := append(prefix, alphabet[i])
			if depth == 1 {
				slot := crc16(s) & (SlotCount - 1)
				if tags[slot] == nil {
					tags[slot] = []byte("{" + string(s) + "}")
					left--
				}
				continue
			}
			try(s, depth-1)
		}
	}
	for d := 1; d <= 4 && left > 0; d++ {
		try(nil, d)
	}
	return tags
})

// clusterMap is the slot map of a Redis Cluster as CLUSTER SLOTS reports
// it: the masters and, for each, the slots it serves.
type clusterMap struct {
	mu      sync.RWMutex
	masters []string // "host:port"
	slots   [][]int  // slots of masters[i]
	version int
	seed    string // where to ask for CLUSTER SLOTS again
	opts    *Options
	fetched time.Time
}

// fetchClusterMap asks addr for CLUSTER SLOTS and returns the masters that
// serve at least one slot.
func fetchClusterMap(o *Options, addr string) (*clusterMap, error) {
	m := &clusterMap{seed: addr, opts: o}
	if err := m.refresh(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *clusterMap) refresh() error {
	c, err := dialNode(m.opts, m.seed)
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := c.DoOK("CLUSTER", "SLOTS")
	if err != nil {
		return err
	}
	idx := map[string]int{}
	var masters []string
	var slots [][]int
	for _, r := range v.Elems {
		if len(r.Elems) < 3 || len(r.Elems[2].Elems) < 2 {
			return fmt.Errorf("CLUSTER SLOTS from %s: malformed entry", m.seed)
		}
		from, to := r.Elems[0].Int, r.Elems[1].Int
		if from < 0 || to >= SlotCount || from > to {
			return fmt.Errorf("CLUSTER SLOTS from %s: bad slot range %d-%d", m.seed, from, to)
		}
		host := r.Elems[2].Elems[0].Str
		if host == "" || host == "?" {
			host, _, _ = net.SplitHostPort(m.seed)
		}
		addr := net.JoinHostPort(host, strconv.FormatInt(r.Elems[2].Elems[1].Int, 10))
		i, ok := idx[addr]
		if !ok {
			i = len(masters)
			idx[addr] = i
			masters = append(masters, addr)
			slots = append(slots, nil)
		}
		for s := from; s <= to; s++ {
			slots[i] = append(slots[i], int(s))
		}
	}
	if len(masters) == 0 {
		return fmt.Errorf("CLUSTER SLOTS from %s: no slot is served", m.seed)
	}
	m.mu.Lock()
	m.masters, m.slots = masters, slots
	m.version++
	m.fetched = time.Now()
	m.mu.Unlock()
	return nil
}

// refreshAfterRedirect refreshes the map after a MOVED, at most every
// 100 ms however many connections see redirects.
func (m *clusterMap) refreshAfterRedirect() {
	m.mu.RLock()
	recent := time.Since(m.fetched) < 100*time.Millisecond
	m.mu.RUnlock()
	if !recent {
		m.refresh()
	}
}

// node returns the address and slots of master i (modulo the count) and
// the map version.
func (m *clusterMap) node(i int) (string, []int, int) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i %= len(m.masters)
	return m.masters[i], m.slots[i], m.version
}

// parseRedirect parses "MOVED 3999 127.0.0.1:6381" or "ASK ...": the
// target address and whether it is an ASK.
func parseRedirect(msg []byte) (addr string, ask, ok bool) {
	s := string(msg)
	switch {
	case strings.HasPrefix(s, "MOVED "):
	case strings.HasPrefix(s, "ASK "):
		ask = true
	default:
		return "", false, false
	}
	f := strings.Fields(s)
	if len(f) != 3 {
		return "", false, false
	}
	return f[2], ask, true
}

// dialNode opens a setup connection to addr with the run's AUTH/HELLO.
func dialNode(o *Options, addr string) (*respclient.Conn, error) {
	c, err := respclient.Dial(o.network(addr), addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if err := handshake(o, c, false); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
