// Names of User Timing measures the UI records, so tests and profilers can read real round-trip times.

/** Around each Draw encode + reconstruct round trip. */
export const ROUND_TRIP_MEASURE = 'bottleneck:draw-round-trip'
