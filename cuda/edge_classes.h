// edge_classes.h — the edge-bias channel's values by border class (glow-spec §4), shared by
// edge_bias.cu and the fused edge + actnorm pass in actnorm.cu. The extra input channel is 1 in the
// zero padding of a 3×3 'same' convolution, so output pixel (i, j) of channel o gains the sum of
// w_edge[o] over the taps that fall outside. Which taps those are depends only on the pixel's row
// class (first row, last row, both when H = 1, or neither) and column class: a border line is a left
// end, a middle run and a right end, and the other lines have only their two ends.
#pragma once

#include "portable.h"

// Bit 0: the first row/column (the tap before it is padding); bit 1: the last one (the tap after it).
FLOWRT_DEVICE int edge_class(int i, int n) { return (i == 0) | ((i == n - 1) << 1); }

// Whether tap (kh, kw) of a pixel of row class rc and column class cc falls in the padding.
FLOWRT_DEVICE bool tap_outside(int kh, int kw, int rc, int cc) {
  return (kh == 0 && (rc & 1)) || (kh == 2 && (rc & 2)) || (kw == 0 && (cc & 1)) || (kw == 2 && (cc & 2));
}

// Σ of the edge weights w9 (3×3) over the taps that fall outside a pixel of row class rc, column class cc.
FLOWRT_DEVICE float class_value(const float* w9, int rc, int cc) {
  float s = 0.f;
  for (int kh = 0; kh < 3; kh++)
    for (int kw = 0; kw < 3; kw++)
      if (tap_outside(kh, kw, rc, cc)) s += w9[kh * 3 + kw];
  return s;
}

// One channel's edge values on an H×W image: left end, middle run and right end of the first and of
// the last line; left and right ends of the lines between.
struct EdgeValues {
  float top[3], bottom[3], side[2];
};

FLOWRT_DEVICE EdgeValues edge_values(const float* w9, int H, int W) {
  int first = edge_class(0, W), last = edge_class(W - 1, W), rc_top = edge_class(0, H), rc_bottom = edge_class(H - 1, H);
  EdgeValues e;
  e.top[0] = class_value(w9, rc_top, first), e.top[1] = class_value(w9, rc_top, 0), e.top[2] = class_value(w9, rc_top, last);
  e.bottom[0] = class_value(w9, rc_bottom, first), e.bottom[1] = class_value(w9, rc_bottom, 0);
  e.bottom[2] = class_value(w9, rc_bottom, last);
  e.side[0] = class_value(w9, 0, first), e.side[1] = class_value(w9, 0, last);
  return e;
}

// plane[i, j] += the edge value of pixel (i, j): the first and last lines' left ends, middle runs
// and right ends, and the other lines' two ends. Border pixels over the block's threads.
FLOWRT_DEVICE void add_edge_line(float* line, int W, float left, float middle, float right) {
  IndexRange r = block_range(W);
  for (long long j = r.begin; j < r.end; j += r.step) line[j] += j == 0 ? left : (j == W - 1 ? right : middle);
}

FLOWRT_DEVICE void add_edge(float* plane, const EdgeValues& e, int H, int W) {
  add_edge_line(plane, W, e.top[0], e.top[1], e.top[2]);
  if (H > 1) add_edge_line(plane + (long long)(H - 1) * W, W, e.bottom[0], e.bottom[1], e.bottom[2]);
  IndexRange middle = block_range(H > 2 ? H - 2 : 0);
  for (long long m = middle.begin; m < middle.end; m += middle.step) {
    float* line = plane + (m + 1) * W;
    line[0] += e.side[0];
    if (W > 1) line[W - 1] += e.side[1];
  }
}
