package org.flowrt.ops;

import org.flowrt.backend.Backend;
import org.flowrt.backend.DType;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.Kernel;

/**
 * Class conditioning of the image model (glow-spec §5, cuda/conditional.cu): the label embedding
 * added to the top prior's parameters, and the classifier head on the top latent.
 */
public final class ConditionalOps {
  private ConditionalOps() {}

  private static void checkLabels(DeviceBuffer labels, int n) {
    labels.require(DType.I32, n, "class labels");
  }

  /** h [n, c2, hw] += (W[:, y] + b)·exp(3·logs), W [c2, k]. */
  public static void priorAdd(Backend be, DeviceBuffer labels, DeviceBuffer w, DeviceBuffer b, DeviceBuffer logs, int n,
      int c2, int hw, int k, DeviceBuffer h) {
    checkLabels(labels, n);
    w.require(DType.F32, (long) c2 * k, "class embedding weight");
    h.require(DType.F32, (long) n * c2 * hw, "top prior parameters");
    be.launch(Kernel.CLASS_PRIOR_ADD, be.rowwise((long) n * c2), be.args().ptr(labels).ptr(w).ptr(b).ptr(logs).i32(n).i32(c2)
        .i32(hw).i32(k).ptr(h));
  }

  /** dW, db, dlogs (overwritten) of the embedding from dh. */
  public static void priorBackward(Backend be, DeviceBuffer labels, DeviceBuffer w, DeviceBuffer b, DeviceBuffer logs,
      DeviceBuffer dh, int n, int c2, int hw, int k, DeviceBuffer dw, DeviceBuffer db, DeviceBuffer dlogs) {
    checkLabels(labels, n);
    try (DeviceBuffer partial = be.allocate(DType.F64, (long) n * c2)) {
      be.launch(Kernel.CLASS_PRIOR_BACKWARD, be.rowwise((long) n * c2), be.args().ptr(dh).i32(n).i32(c2).i32(hw).ptr(partial));
      be.launch(Kernel.CLASS_PRIOR_PARAM_GRAD, be.elementwise(c2), be.args().ptr(labels).ptr(w).ptr(b).ptr(logs).ptr(partial)
          .i32(n).i32(c2).i32(k).ptr(dw).ptr(db).ptr(dlogs));
    }
  }

  /** logits [n, k] and cross-entropy ce [n] (double) of the classifier on z [n, c, hw]. */
  public static void headForward(Backend be, DeviceBuffer z, DeviceBuffer w, DeviceBuffer b, DeviceBuffer logs,
      DeviceBuffer labels, int n, int c, int hw, int k, DeviceBuffer logits, DeviceBuffer ce) {
    checkLabels(labels, n);
    w.require(DType.F32, (long) k * c, "classifier weight");
    logits.require(DType.F32, (long) n * k, "logits");
    ce.require(DType.F64, n, "cross-entropy");
    be.launch(Kernel.CLASS_HEAD_FORWARD, be.rowwise(n), be.args().ptr(z).ptr(w).ptr(b).ptr(logs).ptr(labels).i32(n).i32(c)
        .i32(hw).i32(k).ptr(logits).ptr(ce));
  }

  /**
   * For Σ dce·ce: dz += its gradient; dW (k·c), db (k) and dlogs (k) of the classifier are
   * overwritten. (They are separate tensors: the parameter store aligns each one on its own.)
   */
  public static void headBackward(Backend be, DeviceBuffer z, DeviceBuffer w, DeviceBuffer logs, DeviceBuffer labels,
      DeviceBuffer logits, DeviceBuffer dce, int n, int c, int hw, int k, DeviceBuffer dz, DeviceBuffer dw, DeviceBuffer db,
      DeviceBuffer dlogs) {
    int cols = k * c + 2 * k;
    dw.require(DType.F32, (long) k * c, "classifier weight gradient");
    db.require(DType.F32, k, "classifier bias gradient");
    dlogs.require(DType.F32, k, "classifier logs gradient");
    try (DeviceBuffer partial = be.allocate(DType.F64, (long) n * cols); DeviceBuffer sums = be.allocate(DType.F32, cols)) {
      be.launch(Kernel.CLASS_HEAD_BACKWARD, be.rowwise(n), be.args().ptr(z).ptr(w).ptr(logs).ptr(labels).ptr(logits).ptr(dce)
          .i32(n).i32(c).i32(hw).i32(k).ptr(dz).ptr(partial));
      // The kernel's columns are [dW | db | dlogs].
      DenseOps.columnSums(be, partial, n, cols, null, sums);
      be.copy(sums.slice(0, (long) k * c), dw);
      be.copy(sums.slice((long) k * c, k), db);
      be.copy(sums.slice((long) k * c + k, k), dlogs);
    }
  }
}
