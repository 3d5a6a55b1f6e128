#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RetainCore
import RetainIO

// Interning byte strings (customer ids, event types, refs) into dense Int32 indices without making
// a `String` per row: an open-addressing hash table keyed by byte slices, whose keys live in one
// growing byte arena.

/// One slot of a ``ByteTable``: the key's first 8 bytes (zero-padded), a tag (24 hash bits and
/// the length, capped at 255; 0 = empty) and the value. A key of up to 8 bytes is found with one
/// 16-byte load; longer keys are then compared in the arena (through `slotKey`).
@usableFromInline
struct ByteTableSlot {
    var k0: UInt64
    var tag: UInt32
    var value: Int32
}

/// A hash map from byte strings to `Int32`, in manually managed memory (call ``release()``).
///
/// Keys are numbered in insertion order (``key(_:)``). Keys are read through 8-byte loads: the
/// caller guarantees that the 16 bytes after a key's start are readable (the reader pads its
/// blocks; ``lookup(copying:newValue:)`` copies keys that are not padded). Linear probing at load
/// factor ≤ 1/2 over 16-byte slots; tables of 2 MiB and more ask for transparent huge pages, since
/// probes land at random and TLB misses would dominate.
///
/// - Complexity: O(key length) per lookup or insert, amortised.
struct ByteTable {
    private(set) var count = 0
    private var slots: UnsafeMutablePointer<ByteTableSlot>
    /// The key index of each slot (read only for keys longer than 8 bytes).
    private var slotKey: UnsafeMutablePointer<Int32>
    private var capacity: Int
    private var shift: UInt64
    /// Key bytes in insertion order, plus 16 bytes of readable padding.
    private(set) var arena: UnsafeMutablePointer<UInt8>
    private(set) var arenaCount = 0
    private var arenaCapacity: Int
    /// (offset << 32 | length) of each key in insertion order.
    private var keys: UnsafeMutablePointer<UInt64>
    private var keysCapacity: Int

    init(capacity: Int = 64) {
        var c = 16
        while c < 2 * capacity { c <<= 1 }
        self.capacity = c
        shift = UInt64(64 - c.trailingZeroBitCount)
        slots = Self.allocateSlots(c)
        slotKey = .allocate(capacity: c)
        arenaCapacity = 1024
        arena = .allocate(capacity: arenaCapacity + 16)
        arena.initialize(repeating: 0, count: arenaCapacity + 16)
        keysCapacity = 64
        keys = .allocate(capacity: keysCapacity)
    }

    /// Zeroed slots; 2 MiB-aligned and marked for huge pages when at least 2 MiB.
    private static func allocateSlots(_ count: Int) -> UnsafeMutablePointer<ByteTableSlot> {
        let bytes = count * MemoryLayout<ByteTableSlot>.stride
        let huge = 2 << 20
        var raw: UnsafeMutableRawPointer?
        let alignment = bytes >= huge ? huge : 64
        guard posix_memalign(&raw, alignment, bytes) == 0, let raw else { fatalError("out of memory (\(bytes) bytes for an intern table)") }
        #if canImport(Glibc)
        if bytes >= huge { _ = madvise(raw, bytes, MADV_HUGEPAGE) }
        #endif
        memset(raw, 0, bytes)
        return raw.bindMemory(to: ByteTableSlot.self, capacity: count)
    }

    /// Frees the memory; the table must not be used afterwards.
    func release() {
        free(slots)
        slotKey.deallocate()
        arena.deallocate()
        keys.deallocate()
    }

    /// The bytes of the `i`-th inserted key (valid until the next insert).
    func key(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let entry = keys[i]
        return UnsafeBufferPointer(start: arena + Int(entry >> 32), count: Int(entry & 0xFFFF_FFFF))
    }

    /// The `i`-th inserted key as a string.
    func string(_ i: Int) -> String { String(decoding: key(i), as: UTF8.self) }

    // MARK: Hashing

    @inline(__always)
    static func load(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        let w = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
        return n >= 8 ? w : w & ((1 &<< UInt64(8 &* n)) &- 1)
    }

    @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let m = a.multipliedFullWidth(by: b)
        return m.high ^ m.low
    }

    /// A key's first word, 64-bit hash and slot tag.
    struct Hashed {
        var k0: UInt64
        var hash: UInt64
        var tag: UInt32
    }

    /// Hashes the `n` bytes at `p` (16 bytes from `p` must be readable).
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> Hashed {
        let k0 = load(p, n)
        let k1 = n > 8 ? load(p + 8, n - 8) : 0
        var h = mix(k0 ^ 0x9E37_79B9_7F4A_7C15, k1 ^ 0xD6E8_FEB8_6659_FD93 ^ UInt64(n))
        if n > 16 {
            var q = p + 16, left = n - 16
            while left > 0 {
                h = mix(h ^ load(q, left), 0x8BB8_4B93_962E_ACC9)
                q += 8
                left -= 8
            }
        }
        h = h &* 0x9E37_79B9_7F4A_7C15
        // 24 hash bits and the length; never 0 (0 marks an empty slot).
        let tag = (UInt32(truncatingIfNeeded: h) & 0xFFFF_FF00) | UInt32(min(n, 255))
        return Hashed(k0: k0, hash: h, tag: tag == 0 ? 0xFF : tag)
    }

    // MARK: Lookup

    /// The slot where the probe for `hashed` starts, and its content: a caller probing a group of
    /// keys reads all first slots back to back (their cache misses overlap), then finishes each
    /// with ``lookup(_:_:hashed:newValue:)`` unless ``isHit(_:_:_:)`` already says found.
    @inline(__always)
    func firstSlot(_ hashed: Hashed) -> ByteTableSlot {
        slots[Int(truncatingIfNeeded: hashed.hash >> shift)]
    }

    /// The address of the slot where the probe for `hashed` starts (to prefetch it).
    @inline(__always)
    func firstSlotAddress(_ hashed: Hashed) -> UnsafeRawPointer {
        UnsafeRawPointer(slots + Int(truncatingIfNeeded: hashed.hash >> shift))
    }

    /// Whether `slot` holds the key of `n` ≤ 8 bytes with hash `hashed`.
    @inline(__always)
    static func isHit(_ slot: ByteTableSlot, _ hashed: Hashed, _ n: Int) -> Bool {
        n <= 8 && slot.tag == hashed.tag && slot.k0 == hashed.k0
    }

    /// The value of the `n` bytes at `p`, or `newValue` stored under them if absent.
    ///
    /// - Returns: The value, and whether the key was inserted now.
    @inline(__always)
    mutating func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, newValue: Int32) -> (value: Int32, inserted: Bool) {
        lookup(p, n, hashed: Self.hash(p, n), newValue: newValue)
    }

    /// ``lookup(_:_:newValue:)`` with the key's hash already computed by ``hash(_:_:)``.
    @inline(__always)
    mutating func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, hashed: Hashed, newValue: Int32) -> (value: Int32, inserted: Bool) {
        var i = Int(truncatingIfNeeded: hashed.hash >> shift)
        let mask = capacity - 1
        while true {
            let slot = slots[i]
            if slot.tag == 0 { break }
            if slot.tag == hashed.tag && slot.k0 == hashed.k0 && (n <= 8 || longKeyEquals(Int(slotKey[i]), p, n)) {
                return (slot.value, false)
            }
            i = (i + 1) & mask
        }
        insertNew(p, n, hashed: hashed, slot: i, value: newValue)
        return (newValue, true)
    }

    /// Whether key `index` equals the `n` > 8 bytes at `p` (the first 8 are known to be equal).
    @inline(__always)
    private func longKeyEquals(_ index: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let entry = keys[index]
        guard Int(entry & 0xFFFF_FFFF) == n else { return false }
        let stored = UnsafePointer(arena + Int(entry >> 32))
        if n <= 16 { return Self.load(stored + 8, n - 8) == Self.load(p + 8, n - 8) }
        return memcmp(stored + 8, p + 8, n - 8) == 0
    }

    /// Looks up a key whose following bytes may not be readable, by way of a padded copy.
    mutating func lookup(copying bytes: UnsafeBufferPointer<UInt8>, newValue: Int32) -> (value: Int32, inserted: Bool) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count + 16) { buffer in
            let base = buffer.baseAddress!  // capacity ≥ 16
            base.initialize(repeating: 0, count: bytes.count + 16)
            defer { base.deinitialize(count: bytes.count + 16) }
            if let source = bytes.baseAddress { base.update(from: source, count: bytes.count) }
            return lookup(UnsafePointer(base), bytes.count, newValue: newValue)
        }
    }

    /// Replaces the value stored under the `i`-th inserted key.
    mutating func setValue(ofKey i: Int, to value: Int32) {
        let k = key(i)
        let hashed = Self.hash(k.baseAddress!, k.count)  // arena pointer, never nil
        var j = Int(truncatingIfNeeded: hashed.hash >> shift)
        while true {
            precondition(slots[j].tag != 0, "setValue on a key that is not in the table")
            if slotKey[j] == Int32(i) {
                slots[j].value = value
                return
            }
            j = (j + 1) & (capacity - 1)
        }
    }

    @inline(never)
    private mutating func insertNew(_ p: UnsafePointer<UInt8>, _ n: Int, hashed: Hashed, slot: Int, value: Int32) {
        precondition(arenaCount + n < Int(UInt32.max) && count < Int(Int32.max), "interned keys exceed 4 GiB or 2^31 keys")
        if arenaCount + n > arenaCapacity {
            var c = arenaCapacity * 2
            while c < arenaCount + n { c *= 2 }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c + 16)
            bigger.update(from: arena, count: arenaCount)
            (bigger + arenaCount).initialize(repeating: 0, count: c + 16 - arenaCount)
            arena.deallocate()
            arena = bigger
            arenaCapacity = c
        }
        let offset = arenaCount
        (arena + offset).update(from: p, count: n)
        arenaCount += n
        if count == keysCapacity {
            let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: keysCapacity * 2)
            bigger.update(from: keys, count: count)
            keys.deallocate()
            keys = bigger
            keysCapacity *= 2
        }
        keys[count] = UInt64(offset) << 32 | UInt64(n)
        slots[slot] = ByteTableSlot(k0: hashed.k0, tag: hashed.tag, value: value)
        slotKey[slot] = Int32(count)
        count += 1
        if 2 * count > capacity { grow() }
    }

    private mutating func grow() {
        let old = slots, oldKey = slotKey, oldCapacity = capacity
        capacity *= 2
        shift -= 1
        slots = Self.allocateSlots(capacity)
        slotKey = .allocate(capacity: capacity)
        let mask = capacity - 1
        for i in 0..<oldCapacity where old[i].tag != 0 {
            let k = key(Int(oldKey[i]))
            let h = Self.hash(k.baseAddress!, k.count).hash  // arena pointer, never nil
            var j = Int(truncatingIfNeeded: h >> shift)
            while slots[j].tag != 0 { j = (j + 1) & mask }
            slots[j] = old[i]
            slotKey[j] = oldKey[i]
        }
        free(old)
        oldKey.deallocate()
    }
}
