package org.flowrt.backend;

/** Every kernel in cuda/, by its extern "C" symbol (the same name in the fatbin and the host build). */
public enum Kernel {
  ACTNORM_FORWARD("actnorm_forward"),
  ACTNORM_INVERSE("actnorm_inverse"),
  ACTNORM_BACKWARD("actnorm_backward"),
  ACTNORM_PARAM_GRAD("actnorm_param_grad"),
  ACTNORM_INIT_FROM_MOMENTS("actnorm_init_from_moments"),
  CLASS_PRIOR_ADD("class_prior_add"),
  CLASS_PRIOR_BACKWARD("class_prior_backward"),
  CLASS_PRIOR_PARAM_GRAD("class_prior_param_grad"),
  CLASS_HEAD_FORWARD("class_head_forward"),
  CLASS_HEAD_BACKWARD("class_head_backward"),
  CHANNEL_MOMENTS("channel_moments"),
  FLAT_REDUCE_PARTIAL("flat_reduce_partial"),
  FLAT_REDUCE_FINAL("flat_reduce_final"),
  AXPY("axpy"),
  FILL("fill"),
  INVCONV_FORWARD("invconv_forward"),
  INVCONV_BACKWARD_DATA("invconv_backward_data"),
  INVCONV_INVERT("invconv_invert"),
  INVCONV_GJ_LOAD("invconv_gj_load"),
  INVCONV_GJ_PIVOT("invconv_gj_pivot"),
  INVCONV_GJ_ELIMINATE("invconv_gj_eliminate"),
  INVCONV_GJ_STORE("invconv_gj_store"),
  CHANNEL_GRAM("channel_gram"),
  INVCONV_WEIGHT_GRAD("invconv_weight_grad"),
  INVCONV_LU_COMPOSE("invconv_lu_compose"),
  INVCONV_LU_COMPOSE_BACKWARD("invconv_lu_compose_backward"),
  INVCONV_LU_TRIANGULAR_INVERSE("invconv_lu_triangular_inverse"),
  INVCONV_LU_INVERSE_PRODUCT("invconv_lu_inverse_product"),
  INVCONV_LU_LOGDET("invconv_lu_logdet"),
  INVCONV_LU_LOGDET_BACKWARD("invconv_lu_logdet_backward"),
  TAPS_GATHER("taps_gather"),
  TAPS_SPREAD("taps_spread"),
  BATCHED_TRANSPOSE("batched_transpose"),
  COUPLING_FORWARD("coupling_forward"),
  COUPLING_INVERSE("coupling_inverse"),
  COUPLING_BACKWARD("coupling_backward"),
  COUPLING_CONDITIONER("coupling_conditioner"),
  COUPLING_CONDITIONER_BACKWARD("coupling_conditioner_backward"),
  SQUEEZE("squeeze2"),
  UNSQUEEZE("unsqueeze2"),
  CHANNEL_COPY("channel_copy"),
  CHANNEL_PERMUTE("channel_permute"),
  EDGE_BIAS_FORWARD("edge_bias_forward"),
  EDGE_BIAS_BACKWARD("edge_bias_backward"),
  GAUSSIAN_LOGP("gaussian_logp"),
  GAUSSIAN_LOGP_BACKWARD("gaussian_logp_backward"),
  GAUSSIAN_SAMPLE("gaussian_sample"),
  PLANAR_REPARAM("planar_reparam"),
  PLANAR_FORWARD("planar_forward"),
  PLANAR_BACKWARD("planar_backward"),
  PLANAR_REPARAM_BACKWARD("planar_reparam_backward"),
  RADIAL_FORWARD("radial_forward"),
  RADIAL_BACKWARD("radial_backward"),
  BIAS_ACT_FORWARD("bias_act_forward"),
  BIAS_ACT_BACKWARD("bias_act_backward"),
  COLUMN_SUMS("column_sums"),
  ADAM_UPDATE("adam_update"),
  ADAMAX_UPDATE("adamax_update"),
  POLYAK_UPDATE("polyak_update");

  private final String symbol;

  Kernel(String symbol) {
    this.symbol = symbol;
  }

  public String symbol() {
    return symbol;
  }
}
