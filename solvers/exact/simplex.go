package exact

import (
	"math"

	"github.com/otplay/otplay/compute"
)

// The network simplex of Bonneel, van de Panne, Paris and Heidrich 2011
// ("Displacement interpolation using Lagrangian mass transport", sec. 5
// and their code, a LEMON 1.2 NetworkSimplex adapted to the complete
// bipartite graph), which is POT's ot.emd. It solves the transportation
// problem as a minimum-cost flow on the bipartite graph rows -> columns,
// with an artificial root joined to every node by an artificial arc
// (the big-M start of Ahuja, Magnanti and Orlin 1993, "Network Flows",
// sec. 11.4). The spanning tree is stored as parent/pred/thread lists
// with reverse threads, subtree sizes and last successors (Kovacs 2015,
// "Minimum-cost flow algorithms: an experimental evaluation", sec. 3.4,
// LEMON's representation). Entering arcs are chosen by block search
// (Grigoriadis 1986; Kovacs 2015 sec. 3.4.2): scan blocks of
// sqrt(#arcs) arcs from where the last search stopped and take the most
// negative reduced cost of the first block that has one.
//
// Every real arc has infinite capacity, so no arc is ever at its upper
// bound: a non-tree arc carries no flow, and only the n + m tree arcs
// carry any. The flow is therefore stored per node (the flow on the arc
// to its parent), not per arc: the per-arc state is one byte (in the
// tree or not), and the cost matrix is read where it lies, never copied.

// pivotEpsilon is POT's EPSILON (network_simplex_simple.h): an arc enters
// only if its reduced cost is below -pivotEpsilon max(|pi_s|, |pi_t|, |c|).
const pivotEpsilon = 2.2204460492503131e-15

const (
	arcLower = 1 // a non-tree arc, at flow 0
	arcTree  = 0
)

type simplex struct {
	n, m   int // compressed sizes (rows and columns of positive weight)
	nodes  int // n + m; the root is node nodes
	arcNum int // n*m real arcs; artificial arc of node u is arcNum + u
	cost   []float64
	stride int   // row length of cost
	rows   []int // rows[k]: the caller's row of compressed row k
	cols   []int
	// denseCols: cols is 0..m-1 and stride == m (no zero-weight column).
	denseCols bool
	artCost   float64

	pi                                              []float64
	parent, pred, thread, revThread, succ, lastSucc []int
	forward                                         []bool    // pred arc goes u -> parent
	flow                                            []float64 // flow on pred[u]
	state                                           []int8    // per real arc

	blockSize, nextArc int

	inArc, join, uIn, vIn, uOut int
	delta                       float64
	dirty                       []int
}

// arcCost is the cost of arc e (real or artificial).
func (s *simplex) arcCost(e int) float64 {
	if e < s.arcNum {
		return s.cost[s.rows[e/s.m]*s.stride+s.cols[e%s.m]]
	}
	if e-s.arcNum < s.n {
		return 0
	}
	return s.artCost
}

// ends returns the source and target nodes of arc e.
func (s *simplex) ends(e int) (int, int) {
	if e < s.arcNum {
		return e / s.m, s.n + e%s.m
	}
	u := e - s.arcNum
	if u < s.n {
		return u, s.nodes
	}
	return s.nodes, u
}

// newSimplex sets up the initial tree: every row sends its supply to the
// root at cost 0 and the root feeds every column at cost artCost, which
// exceeds the cost of any path through real arcs (LEMON's init, EQ
// supply type).
func newSimplex(supplyA, demandB, cost []float64, stride int, rows, cols []int) *simplex {
	n, m := len(rows), len(cols)
	s := &simplex{n: n, m: m, nodes: n + m, arcNum: n * m, cost: cost, stride: stride, rows: rows, cols: cols}
	s.denseCols = m == stride
	hi, lo := 0.0, 0.0
	for _, r := range rows {
		for _, c := range cols {
			v := cost[r*stride+c]
			hi = max(hi, v)
			lo = min(lo, v)
		}
	}
	// POT takes (max C + 1) * nodes; the range keeps it large enough for
	// negative costs too.
	s.artCost = (hi - lo + 1) * float64(s.nodes)
	all := s.nodes + 1
	s.pi = make([]float64, all)
	s.parent = make([]int, all)
	s.pred = make([]int, all)
	s.thread = make([]int, all)
	s.revThread = make([]int, all)
	s.succ = make([]int, all)
	s.lastSucc = make([]int, all)
	s.forward = make([]bool, all)
	s.flow = make([]float64, all)
	s.state = make([]int8, s.arcNum)
	for i := range s.state {
		s.state[i] = arcLower
	}
	root := s.nodes
	s.parent[root] = -1
	s.pred[root] = -1
	s.thread[root] = 0
	s.revThread[0] = root
	s.succ[root] = all
	s.lastSucc[root] = root - 1
	for u := range s.nodes {
		s.parent[u] = root
		s.pred[u] = s.arcNum + u
		s.thread[u] = u + 1
		s.revThread[u+1] = u
		s.succ[u] = 1
		s.lastSucc[u] = u
		if u < n {
			s.forward[u] = true
			s.flow[u] = supplyA[u]
		} else {
			s.pi[u] = s.artCost
			s.flow[u] = demandB[u-n]
		}
	}
	s.blockSize = max(int(math.Sqrt(float64(s.arcNum))), 10)
	return s
}

// scale is the size against which arc e's reduced cost is judged.
func (s *simplex) scale(e int) float64 {
	src, tgt := s.ends(e)
	return max(math.Abs(s.pi[src]), math.Abs(s.pi[tgt]), math.Abs(s.arcCost(e)))
}

// scanBlocks scans arcs [from, to) for the block search; it returns true
// with s.inArc and s.nextArc set when a block ends with an eligible arc.
func (s *simplex) scanBlocks(from, to int, minC *float64, cnt *int) bool {
	m := s.m
	pj := s.pi[s.n : s.n+m]
	for e := from; e < to; {
		k, l := e/m, e%m
		end := min(to-k*m, m) // columns l..end-1 of row k
		row := s.cost[s.rows[k]*s.stride:]
		st := s.state[k*m : k*m+end]
		pk := s.pi[k]
		pjk := pj[:end]
		cols := s.cols
		if s.denseCols {
			// Every column is in the problem: read the row directly.
			row = row[:end]
			cols = nil
		}
		for ; l < end; l++ {
			if st[l] != arcTree {
				var cij float64
				if cols == nil {
					cij = row[l]
				} else {
					cij = row[cols[l]]
				}
				if c := cij + pk - pjk[l]; c < *minC {
					*minC = c
					s.inArc = k*m + l
				}
			}
			*cnt--
			if *cnt == 0 {
				if *minC < -pivotEpsilon*s.scale(s.inArc) {
					s.nextArc = k*m + l
					return true
				}
				*cnt = s.blockSize
			}
		}
		e = k*m + end
	}
	return false
}

// findEntering is the block search pivot rule (POT's BlockSearchPivotRule).
func (s *simplex) findEntering() bool {
	minC := 0.0
	cnt := s.blockSize
	if s.scanBlocks(s.nextArc, s.arcNum, &minC, &cnt) || s.scanBlocks(0, s.nextArc, &minC, &cnt) {
		return true
	}
	return minC < 0 && minC < -pivotEpsilon*s.scale(s.inArc)
}

// findJoin finds the apex of the cycle the entering arc closes: the
// deepest common ancestor of its ends (LEMON's findJoinNode, climbing
// from the end with the smaller subtree).
func (s *simplex) findJoin() {
	u, v := s.ends(s.inArc)
	for u != v {
		if s.succ[u] < s.succ[v] {
			u = s.parent[u]
		} else {
			v = s.parent[v]
		}
	}
	s.join = u
}

// findLeaving finds the blocking arc of the cycle closed by the entering
// arc (every arc has infinite capacity, so only arcs whose flow the
// cycle decreases can block). It returns false if none does (unbounded).
func (s *simplex) findLeaving() bool {
	first, second := s.ends(s.inArc)
	s.delta = math.Inf(1)
	result := 0
	for u := first; u != s.join; u = s.parent[u] {
		if s.forward[u] && s.flow[u] < s.delta {
			s.delta, s.uOut, result = s.flow[u], u, 1
		}
	}
	for u := second; u != s.join; u = s.parent[u] {
		if !s.forward[u] && s.flow[u] <= s.delta {
			s.delta, s.uOut, result = s.flow[u], u, 2
		}
	}
	if result == 1 {
		s.uIn, s.vIn = first, second
	} else {
		s.uIn, s.vIn = second, first
	}
	return result != 0
}

// changeFlow pushes delta around the cycle and swaps the arcs' states;
// it returns the entering arc's new flow.
func (s *simplex) changeFlow() float64 {
	src, tgt := s.ends(s.inArc)
	if val := s.delta; val > 0 {
		for u := src; u != s.join; u = s.parent[u] {
			if s.forward[u] {
				s.flow[u] -= val
			} else {
				s.flow[u] += val
			}
		}
		for u := tgt; u != s.join; u = s.parent[u] {
			if s.forward[u] {
				s.flow[u] += val
			} else {
				s.flow[u] -= val
			}
		}
	}
	s.state[s.inArc] = arcTree
	if out := s.pred[s.uOut]; out < s.arcNum {
		s.state[out] = arcLower
	}
	return s.delta
}

// updateTree re-hangs the subtree cut off by the leaving arc under the
// entering arc (LEMON's updateTreeStructure, as in POT).
func (s *simplex) updateTree(inFlow float64) {
	parent, thread, rev, last, succ := s.parent, s.thread, s.revThread, s.lastSucc, s.succ
	uIn, vIn, uOut, join := s.uIn, s.vIn, s.uOut, s.join
	oldRev := rev[uOut]
	oldSucc := succ[uOut]
	oldLast := last[uOut]
	vOut := parent[uOut]

	u := last[uIn]
	right := thread[u]
	var lastNode int
	if oldRev == vIn {
		lastNode = thread[last[uOut]]
	} else {
		lastNode = thread[vIn]
	}
	stem := uIn
	thread[vIn] = stem
	s.dirty = append(s.dirty[:0], vIn)
	parStem := vIn
	for stem != uOut {
		newStem := parent[stem]
		thread[u] = newStem
		s.dirty = append(s.dirty, u)
		w := rev[stem]
		thread[w] = right
		rev[right] = w
		parent[stem] = parStem
		parStem = stem
		stem = newStem
		if last[stem] == last[parStem] {
			u = rev[parStem]
		} else {
			u = last[stem]
		}
		right = thread[u]
	}
	parent[uOut] = parStem
	thread[u] = lastNode
	rev[lastNode] = u
	last[uOut] = u
	if oldRev != vIn {
		thread[oldRev] = right
		rev[right] = oldRev
	}
	for _, d := range s.dirty {
		rev[thread[d]] = d
	}
	tmpSucc, tmpLast := 0, last[uOut]
	for u := uOut; u != uIn; {
		w := parent[u]
		s.pred[u] = s.pred[w]
		s.flow[u] = s.flow[w]
		s.forward[u] = !s.forward[w]
		tmpSucc += succ[u] - succ[w]
		succ[u] = tmpSucc
		last[w] = tmpLast
		u = w
	}
	src, _ := s.ends(s.inArc)
	s.pred[uIn] = s.inArc
	s.flow[uIn] = inFlow
	s.forward[uIn] = uIn == src
	succ[uIn] = oldSucc

	upIn, upOut := -1, -1
	if last[join] == vIn {
		upOut = join
	} else {
		upIn = join
	}
	for u := vIn; u != upIn && last[u] == vIn; u = parent[u] {
		last[u] = last[uOut]
	}
	if join != oldRev && vIn != oldRev {
		for u := vOut; u != upOut && last[u] == oldLast; u = parent[u] {
			last[u] = oldRev
		}
	} else {
		for u := vOut; u != upOut && last[u] == oldLast; u = parent[u] {
			last[u] = last[uOut]
		}
	}
	for u := vIn; u != join; u = parent[u] {
		succ[u] += oldSucc
	}
	for u := vOut; u != join; u = parent[u] {
		succ[u] -= oldSucc
	}
}

// updatePotential shifts the potentials of the re-hung subtree so the
// entering arc's reduced cost is 0.
func (s *simplex) updatePotential() {
	c := s.arcCost(s.pred[s.uIn])
	var sigma float64
	if s.forward[s.uIn] {
		sigma = s.pi[s.vIn] - s.pi[s.uIn] - c
	} else {
		sigma = s.pi[s.vIn] - s.pi[s.uIn] + c
	}
	end := s.thread[s.lastSucc[s.uIn]]
	for u := s.uIn; u != end; u = s.thread[u] {
		s.pi[u] += sigma
	}
}

// pivot performs one pivot on s.inArc; false means unbounded.
func (s *simplex) pivot() bool {
	s.findJoin()
	if !s.findLeaving() {
		return false
	}
	inFlow := s.changeFlow()
	s.updateTree(inFlow)
	s.updatePotential()
	return true
}

// initialPivots is LEMON's heuristic start for a balanced problem with
// several supply and demand nodes: bring in, for every column, its
// cheapest incoming arc (when its reduced cost is negative).
func (s *simplex) initialPivots() bool {
	best := make([]int, s.m)
	bestC := make([]float64, s.m)
	for l := range bestC {
		bestC[l] = math.Inf(1)
	}
	for k := range s.n {
		row := s.cost[s.rows[k]*s.stride:]
		for l, c := range s.cols {
			if row[c] < bestC[l] {
				bestC[l], best[l] = row[c], k*s.m+l
			}
		}
	}
	for l, e := range best {
		s.inArc = e
		if s.state[e] == arcTree || bestC[l]+s.pi[e/s.m]-s.pi[s.n+l] >= 0 {
			continue
		}
		if !s.pivot() {
			return false
		}
	}
	return true
}

// run pivots until no arc is eligible or maxIter pivots (POT counts the
// block-search pivots only, and stops when the count reaches maxIter).
func (s *simplex) run(maxIter int) (iters int, status Status) {
	if !s.initialPivots() {
		return 0, Unbounded
	}
	for s.findEntering() {
		iters++
		if maxIter > 0 && iters >= maxIter {
			return iters, MaxIterReached
		}
		if iters%4096 == 0 {
			compute.YieldDue() // in the browser, a turn for the page every 25 ms
		}
		if !s.pivot() {
			return iters, Unbounded
		}
	}
	return iters, Optimal
}
