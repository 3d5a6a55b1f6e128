import Foundation
import RetainCore

/// Population parameters: plans, countries, time of day.
enum SampleProfiles {
    /// Country codes, their population shares and UTC offsets (hours).
    static let countries: [(code: String, share: Double, utcOffset: Int)] = [
        ("US", 0.30, -5), ("GB", 0.10, 0), ("DE", 0.09, 1), ("FR", 0.07, 1), ("IN", 0.08, 5),
        ("BR", 0.06, -3), ("CA", 0.06, -5), ("AU", 0.05, 10), ("JP", 0.05, 9), ("ES", 0.05, 1),
        ("NL", 0.04, 1), ("MX", 0.05, -6),
    ]
    static let countryCumulative = cumulative(countries.map(\.share))

    /// Plan shares: basic, standard, premium.
    static let planCumulative = cumulative([0.50, 0.32, 0.18])
    /// Share of each plan on a paid subscription.
    static let subscriberShare: [Double] = [0.45, 0.70, 0.90]
    /// Monthly price in cents, written on `subscription_start`.
    static let priceCents: [Int32] = [999, 1999, 4999]
    /// Session-rate multiplier per plan.
    static let activity: [Double] = [0.85, 1.0, 1.3]
    /// Churn-probability multiplier per plan.
    static let churn: [Double] = [1.15, 0.95, 0.70]
    /// Median order value per plan (currency units).
    static let orderValue: [Double] = [32, 55, 98]
    /// Purchase probability per (non-bounced) session, per plan.
    static let conversion: [Double] = [0.17, 0.22, 0.28]

    /// Local hour-of-day weights (night low, lunch and evening peaks).
    static let hourCumulative = cumulative([
        0.30, 0.20, 0.15, 0.10, 0.10, 0.20, 0.50, 1.00, 1.50, 1.80, 1.90, 2.00,
        2.30, 2.20, 1.90, 1.80, 1.80, 2.00, 2.40, 2.80, 3.00, 2.70, 1.90, 0.90,
    ])

    static func cumulative(_ w: [Double]) -> [Double] {
        var s = 0.0
        return w.map { s += $0; return s }
    }
}

/// Simulates one customer from their own random stream: profile first, then a day-by-day
/// Poisson process of sessions (web sessions with page views, app sessions without; logins,
/// social actions and purchases), support tickets and NPS surveys, then the email campaigns and
/// live events they are offered.
///
/// Customers who churn fade out over three to nine weeks before their stop time: sessions,
/// opens, purchases and event attendance fall to ~12 % of normal, tickets triple, satisfaction
/// (and with it NPS, CSAT and CES) drops by up to 3.8 points out of 10, bounces and
/// unsubscribes rise. Nothing of theirs is logged from the stop time on (their account closes;
/// email sends stop too), so the inactivity label sees them leave.
struct CustomerSimulator {
    let schedule: SampleSchedule
    let seed: UInt64
    let churnShare: Double
    let end: Int

    /// Mean sessions per active day before multipliers.
    static let sessionsPerDay = 0.052
    /// Mean support tickets per active day before multipliers.
    static let ticketsPerDay = 0.0035

    init(schedule: SampleSchedule, seed: UInt64, churnShare: Double) {
        self.schedule = schedule
        self.seed = seed
        self.churnShare = churnShare
        end = schedule.days * SampleSchedule.secondsPerDay
    }

    /// Appends customer `index`'s events (in generation order) to `out` and returns the profile.
    func simulate(_ index: Int, into out: inout [SampleEvent]) -> SampleCustomer {
        var state = State(index: index, rng: .stream(seed: seed, index: UInt64(index)), sim: self)
        return state.run(into: &out)
    }

    /// The per-customer simulation; `rng` draws happen in a fixed order.
    struct State {
        let index: Int
        var rng: SeededGenerator
        let sim: CustomerSimulator
        var sessionCount: Int32 = 0
        var ticketCount: Int32 = 0
        var lo = 0, hi = 0
        var fadeStart = 0, stop = 0, churner = false
        var tz = 0

        init(index: Int, rng: SeededGenerator, sim: CustomerSimulator) {
            self.index = index
            self.rng = rng
            self.sim = sim
        }

        /// Fade progress at `t`: 0 before the fade, rising linearly to 1 at the stop time.
        func progress(_ t: Int) -> Double {
            guard churner, t > fadeStart else { return 0 }
            return min(1, Double(t - fadeStart) / Double(max(1, stop - fadeStart)))
        }

        /// A time on day `d` at a local time of day drawn from the hour profile.
        mutating func timeOnDay(_ d: Int) -> Int {
            let hour = rng.pick(cumulative: SampleProfiles.hourCumulative)
            return d * SampleSchedule.secondsPerDay + (hour - tz) * 3600 + rng.below(3600)
        }

        mutating func emit(_ type: SampleEventType, _ t: Int, _ value: Int32 = SampleEvent.noValue,
                           ref: Int32 = 0, into out: inout [SampleEvent]) {
            guard t >= lo && t < hi else { return }
            out.append(SampleEvent(time: Int32(t), customer: Int32(index), value: value, ref: ref, type: type))
        }

        static func clampScore(_ x: Double, _ lo: Int, _ hi: Int) -> Int32 {
            Int32(min(Double(hi), max(Double(lo), x.rounded())))
        }

        mutating func run(into out: inout [SampleEvent]) -> SampleCustomer {
            let day = SampleSchedule.secondsPerDay
            let days = sim.schedule.days
            // Profile.
            let plan = SampleCustomer.Plan(rawValue: UInt8(rng.pick(cumulative: SampleProfiles.planCumulative)))!
            let p = Int(plan.rawValue)
            let country = rng.pick(cumulative: SampleProfiles.countryCumulative)
            tz = SampleProfiles.countries[country].utcOffset
            let before = rng.chance(0.6)
            let signupDay = before ? -(1 + rng.below(730)) : rng.below(max(1, days - 14))
            let signup = before ? signupDay * day + rng.below(day) : max(0, timeOnDay(signupDay))
            let subscriber = rng.chance(SampleProfiles.subscriberShare[p])
            let g = rng.gamma(shape: 1.2) / 1.2
            let rate = CustomerSimulator.sessionsPerDay * SampleProfiles.activity[p] * g
            let activityChurn = g < 0.4 ? 1.35 : (g > 2 ? 0.7 : 1.0)
            let churnP = min(0.95, sim.churnShare * SampleProfiles.churn[p] * activityChurn / 1.07)
            let start = max(0, signup)
            let startDay = start / day
            churner = startDay + 14 < days && rng.chance(churnP)
            let stopDay = churner ? startDay + 14 + rng.below(days - startDay - 14) : days
            stop = churner ? min(sim.end, max(start + day, stopDay * day + rng.below(day))) : sim.end
            let fadeDays = min(rng.uniform(21, 63), 0.8 * Double(stop - start) / Double(day))
            fadeStart = churner ? stop - Int(fadeDays * Double(day)) : stop
            let satisfaction = churner ? rng.normal(7.1, 1.6) : rng.normal(7.9, 1.4)
            var vacation = 0..<0
            if !churner && rng.chance(0.2) {
                let v = rng.below(days)
                vacation = v..<(v + 10 + rng.below(26))
            }
            let emailConsent = rng.chance(0.72)
            let openP = min(0.85, max(0.02, rng.normal(0.30, 0.14)))
            let clickP = min(0.6, max(0.02, rng.normal(0.20, 0.10)))
            let social = rng.chance(0.45) ? 0 : rng.gamma(shape: 1) * 0.5
            let eventP = rng.chance(0.12) ? rng.uniform(0.2, 0.5) : 0.01
            let sessionMedian = rng.logNormal(median: 260, sigma: 0.45)
            let depth = rng.gamma(shape: 2) * 0.8
            let bounceP = min(0.7, max(0.05, rng.normal(0.32, 0.10)))
            let conversion = min(0.6, SampleProfiles.conversion[p] * rng.logNormal(median: 1, sigma: 0.45))
            let orderValue = SampleProfiles.orderValue[p] * rng.logNormal(median: 1, sigma: 0.35)
            let ticketRate = CustomerSimulator.ticketsPerDay * rng.logNormal(median: 1, sigma: 0.5)
            let npsPhase = rng.below(90)
            let loginP = rng.uniform(0.1, 0.4)
            let webShare = rng.uniform(0.3, 0.9)
            lo = start
            hi = min(stop, sim.end)

            func sat(_ t: Int) -> Double { satisfaction - 3.8 * progress(t) }

            // A session starting at `t` with its page views, login, social actions and purchase.
            func session(_ t: Int, _ d: Int, _ out: inout [SampleEvent]) {
                guard t >= lo && t < hi else { return }   // nothing of a session outside the active span
                sessionCount += 1
                let ref = sessionCount, f = progress(t)
                if rng.chance(loginP) { emit(.login, t - 2 - rng.below(40), into: &out) }
                // Web sessions log page views; app sessions do not.
                let web = rng.chance(webShare)
                let bounce = web && rng.chance(bounceP * (1 + 0.6 * f))
                let pages = !web ? 0 : (bounce ? 1 : min(30, 2 + rng.poisson(depth)))
                let duration = bounce ? 5 + rng.below(70)
                    : max(pages * 8 + 10, Int(sessionMedian * rng.logNormal(median: 1, sigma: 0.6) * (Double(max(pages, 2)) / 3).squareRoot()))
                emit(.session, t, Int32(duration), ref: ref, into: &out)
                for k in 0..<pages {
                    let offset = k == 0 ? 0 : Int(Double(duration) * (Double(k) + rng.uniform()) / Double(pages))
                    emit(.pageView, t + offset, ref: ref, into: &out)
                }
                if social > 0 {
                    let s = social * (1 - 0.7 * f)
                    for _ in 0..<rng.poisson(s * 0.5) { emit(.like, t + rng.below(duration), into: &out) }
                    for _ in 0..<rng.poisson(s * 0.12) { emit(.comment, t + rng.below(duration), into: &out) }
                    for _ in 0..<rng.poisson(s * 0.08) { emit(.share, t + rng.below(duration), into: &out) }
                }
                let dd = min(max(d, 0), sim.schedule.days - 1)
                if rng.chance(conversion * sim.schedule.purchase[dd] * (1 - 0.5 * f) * (bounce ? 0.15 : 1)) {
                    let cents = max(100, Int((orderValue * rng.logNormal(median: 1, sigma: 0.5) * 100).rounded()))
                    emit(.purchase, t + duration - rng.below(min(30, duration)), Int32(min(cents, 10_000_000)), into: &out)
                    if rng.chance(0.05) {
                        let when = t + duration + day + rng.below(2 * day)
                        emit(.csat, when, Self.clampScore(1 + 0.42 * rng.normal(sat(when), 1.2), 1, 5), into: &out)
                    }
                }
            }

            // A support ticket opened at `t`: follow-up contacts, resolution, CSAT / CES surveys.
            func ticket(_ t: Int, _ out: inout [SampleEvent]) {
                guard t >= lo && t < hi else { return }
                ticketCount += 1
                let ref = ticketCount, f = progress(t)
                emit(.ticketOpened, t, ref: ref, into: &out)
                let resolved = rng.chance(0.94 - 0.2 * f)
                let hours = rng.logNormal(median: 14, sigma: 0.9) * (1 + 1.2 * f)
                let resolvedAt = t + 60 + Int(hours * 3600)
                let u = rng.uniform(), p0 = 0.6 - 0.25 * f
                let contacts = u < p0 ? 0 : (u < p0 + 0.25 ? 1 : (u < p0 + 0.35 ? 2 : 3))
                let span = (resolved ? resolvedAt : t + 3 * day) - t
                for k in 0..<contacts {
                    let at = t + Int(Double(span) * (Double(k) + rng.uniform()) / Double(contacts + 1))
                    emit(.contact, at, Int32(rng.logNormal(median: 400, sigma: 0.5).rounded()), ref: ref, into: &out)
                }
                guard resolved else { return }
                emit(.ticketResolved, resolvedAt, ref: ref, into: &out)
                let experience = sat(t) - (contacts >= 2 ? 1 : 0) - (hours > 48 ? 0.8 : 0)
                if rng.chance(0.45) {
                    emit(.csat, resolvedAt + 60 + Int(rng.exponential(mean: 5 * 3600)),
                         Self.clampScore(1 + 0.42 * rng.normal(experience, 1.2), 1, 5), into: &out)
                }
                if rng.chance(0.28) {
                    emit(.ces, resolvedAt + 60 + Int(rng.exponential(mean: 5 * 3600)),
                         Self.clampScore(1 + 0.62 * rng.normal(experience, 1.3), 1, 7), into: &out)
                }
            }

            // Signup and subscription start, with a first session soon after a new signup.
            if signup >= 0 {
                if subscriber { emit(.subscriptionStart, start, SampleProfiles.priceCents[p], into: &out) }
                session(start + 20 + rng.below(600), startDay, &out)
            }

            // Day by day: sessions, tickets, NPS surveys every 90 days.
            let lastDay = min(days - 1, (hi - 1) / day)
            if startDay <= lastDay {
                for d in startDay...lastDay {
                    let mid = d * day + day / 2
                    let f = progress(mid)
                    let away = vacation.contains(d) ? 0.06 : 1.0
                    let onboarding = signup >= 0 ? 1 + 0.8 * Foundation.exp(-Double(d - startDay) / 14) : 1
                    let lambda = rate * sim.schedule.activity[d] * (1 - 0.88 * f) * away * onboarding
                    for _ in 0..<rng.poisson(lambda) { session(timeOnDay(d), d, &out) }
                    if rng.chance(ticketRate * (1 + 2.0 * f) * (satisfaction < 5 ? 1.5 : 1)) { ticket(timeOnDay(d), &out) }
                    if ((d - npsPhase) % 90 + 90) % 90 == 0 && rng.chance(0.33) {
                        let t = timeOnDay(d)
                        emit(.nps, t, Self.clampScore(rng.normal(sat(t) + 0.2, 1.2), 0, 10), into: &out)
                    }
                }
            }

            // Email campaigns to consenting customers, until they unsubscribe or leave.
            if emailConsent {
                for c in sim.schedule.campaigns {
                    guard c.time + 5400 >= lo else { continue }
                    if c.time >= hi { break }
                    guard rng.chance(c.reach) else { continue }
                    let sent = c.time + rng.below(5400)
                    guard sent >= lo && sent < hi else { continue }
                    let ref = Int32(c.number), f = progress(sent)
                    emit(.emailSent, sent, ref: ref, into: &out)
                    let away = vacation.contains(sent / day) ? 0.3 : 1.0
                    guard rng.chance(openP * c.appeal * (1 - 0.8 * f) * away) else { continue }
                    let opened = sent + 30 + Int(rng.exponential(mean: 5 * 3600))
                    emit(.emailOpen, opened, ref: ref, into: &out)
                    if rng.chance(clickP * (1 - 0.3 * f)) {
                        let clicked = opened + 3 + rng.below(120)
                        emit(.emailClick, clicked, ref: ref, into: &out)
                        if rng.chance(0.6) { session(clicked + 5, clicked / day, &out) }
                    }
                    if rng.chance(0.015 + 0.1 * f) {
                        let at = opened + 10 + rng.below(290)
                        if at < hi {
                            emit(.emailUnsubscribe, at, ref: ref, into: &out)
                            break
                        }
                    }
                }
            }

            // Webinars: registration 1–14 days ahead, attendance on the day.
            for e in sim.schedule.liveEvents where e.time > lo && e.time < hi {
                let f = progress(e.time)
                guard rng.chance(eventP * (1 - 0.8 * f)) else { continue }
                let registered = e.time - (1 + rng.below(14)) * day + rng.below(day) - day / 2
                guard registered >= lo else { continue }
                emit(.eventRegistration, registered, ref: Int32(e.number), into: &out)
                if rng.chance(0.62 * (1 - 0.6 * f)) {
                    emit(.eventAttendance, e.time + rng.below(900), ref: Int32(e.number), into: &out)
                }
            }

            // Some subscribers who leave cancel explicitly, shortly before they stop.
            if churner && subscriber && stop < sim.end && rng.chance(0.7) {
                emit(.subscriptionCancel, stop - 60 - rng.below(3000), into: &out)
            }

            return SampleCustomer(signup: signup, plan: plan, country: UInt8(country), subscriber: subscriber,
                                  churner: churner && stop < sim.end, stop: stop, fadeStart: fadeStart)
        }
    }
}
