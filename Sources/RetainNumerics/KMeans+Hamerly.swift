import RetainCore
/// Hamerly's bounds for k-means (G. Hamerly, "Making k-means even faster", SDM 2010).
///
/// Each row keeps an upper bound u on the distance to its centre and a lower bound l on the distance
/// to every other centre. After centre j moves by pⱼ, u grows by p_label and l shrinks by the largest
/// other move. A row whose u is below max(l, half the gap from its centre to the nearest other
/// centre) keeps its label without any distance computation. All bounds are rounded outwards and the
/// test keeps a relative margin larger than the exact distance's rounding error, so a skipped row's
/// label is the exact argmin that `.lloyd` finds.
struct HamerlyShifts {
    /// Upper bound on how far each centre moved.
    var shift: [Double]
    /// For each centre, the largest move of any other centre.
    var otherShift: [Double]
    /// Lower bound on half the distance from each centre to its nearest other centre.
    var halfGap: [Double]
}

extension KMeansEngine {
    /// Centre moves and gaps for the next Hamerly E-step.
    /// - Complexity: O(k² · d).
    func hamerlyShifts(from old: [Double], to new: [Double]) -> HamerlyShifts {
        let (k, d) = (data.k, data.d)
        var shift = [Double](repeating: 0, count: k)
        var halfGap = [Double](repeating: .infinity, count: k)
        new.withUnsafeBufferPointer { nb in old.withUnsafeBufferPointer { ob in
            let c = nb.baseAddress!, o = ob.baseAddress!
            for j in 0..<k {
                shift[j] = kmSquaredDistance(c + j * d, o + j * d, d).squareRoot() * up
                for j2 in (j + 1)..<max(k, j + 1) {
                    let g = 0.5 * kmSquaredDistance(c + j * d, c + j2 * d, d).squareRoot() * down
                    halfGap[j] = min(halfGap[j], g)
                    halfGap[j2] = min(halfGap[j2], g)
                }
            }
        } }
        // Largest and second-largest move give "largest move of any other centre".
        var first = 0
        for j in 0..<k where shift[j] > shift[first] { first = j }
        var second = 0.0
        for j in 0..<k where j != first { second = max(second, shift[j]) }
        let otherShift = (0..<k).map { $0 == first ? second : shift[first] }
        return HamerlyShifts(shift: shift, otherShift: otherShift, halfGap: halfGap)
    }

    /// E-step with Hamerly's bounds: rows whose bounds fail are gathered and relabelled with one GEMM
    /// per block (exact distances where the GEMM's rounding could matter); a chunk where most rows
    /// fail is relabelled whole. With `updateSums`, the sums of every sum block with a changed label
    /// are recomputed. Returns the number of labels that changed.
    /// - Complexity: O(n) plus O(k · d) per row whose bounds fail.
    func assignHamerly(_ centres: [Double], _ moves: HamerlyShifts, updateSums: Bool) -> Int {
        let (d, x, blockRows) = (data.d, data.x, self.blockRows)
        let (labels, upper, lower, chunkChanges) = (self.labels, self.upper, self.lower, self.chunkChanges)
        let (up, down, skipFactor) = (self.up, self.down, self.skipFactor)
        let gatherOffset = (data.k + 3) * blockRows
        withCentres(centres) { cs in moves.shift.withUnsafeBufferPointer { pb in
        moves.otherShift.withUnsafeBufferPointer { qb in moves.halfGap.withUnsafeBufferPointer { sb in
            let p = pb.baseAddress!, q = qb.baseAddress!, s = sb.baseAddress!
            Parallel.forEach(data.chunkCount) { ch in
                let range = self.data.chunk(ch)
                var changes = 0
                self.scratch.with { buffers in
                    let pending = buffers.ints
                    var count = 0
                    for i in range {
                        let a = Int(labels[i])
                        let u = (upper[i] + p[a]) * up
                        let l = max(0, (lower[i] - q[a]) * down)
                        lower[i] = l
                        let bound = max(s[a], l)
                        if !(u * skipFactor < bound) {
                            pending[count] = i
                            count += 1
                        }
                        upper[i] = u
                    }
                    if 2 * count >= range.count {  // mostly pending: relabel the whole chunk, no gathering
                        var b = range.lowerBound
                        while b < range.upperBound {
                            let m = min(blockRows, range.upperBound - b)
                            changes += self.assignBlock(x + b * d, m: m, first: b, indices: nil, cs,
                                                        buffers.doubles, bounds: true)
                            b += m
                        }
                        return
                    }
                    let gathered = buffers.doubles + gatherOffset
                    var b = 0
                    while b < count {
                        let m = min(blockRows, count - b)
                        for r in 0..<m {
                            let from = x + pending[b + r] * d, to = gathered + r * d
                            for t in 0..<d { to[t] = from[t] }
                        }
                        changes += self.assignBlock(gathered, m: m, first: 0, indices: pending + b, cs,
                                                    buffers.doubles, bounds: true)
                        b += m
                    }
                }
                chunkChanges[ch] = changes
                if updateSums && changes > 0 { self.accumulate(ch, all: false) }
            }
        } } } }
        var total = 0
        for ch in 0..<data.chunkCount { total += chunkChanges[ch] }
        return total
    }
}
