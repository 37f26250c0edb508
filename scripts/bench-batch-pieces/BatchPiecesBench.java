package org.flowrt.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.flowrt.backend.DeviceBuffer;
import org.flowrt.backend.cpu.CpuBackend;
import org.flowrt.dist.Collective;
import org.flowrt.glow.BackwardMode;
import org.flowrt.glow.Glow;
import org.flowrt.glow.GlowConfig;
import org.flowrt.glow.Permutation;
import org.flowrt.train.OptimizerKind;
import org.flowrt.train.TrainSettings;
import org.flowrt.train.Trainer;

/**
 * The coupling networks' forward in pieces of the batch (CpuBackend.inPieces, the default) against
 * the whole batch, interleaved in one process so that the machine's drift falls on both alike: one
 * model (L3 K8 width 128 LU on C×32×32, Adamax at 1e-4, reversible backward), then ROUNDS rounds of
 * 3 training steps and 3 samples (T = 0.7) each way, the order swapped every round. Prints the
 * median images/s of each way and how many rounds each won. Run by scripts/bench-batch-pieces.sh;
 * a benchmark, not a test.
 */
public final class BatchPiecesBench {
  private BatchPiecesBench() {}

  public static void main(String[] args) {
    int channels = Integer.parseInt(args[0]), batch = Integer.parseInt(args[1]), rounds = Integer.parseInt(args[2]);
    GlowConfig cfg = GlowConfig.defaults(channels, 32, 32, 3, 8).withWidth(128).withPermutation(Permutation.INVCONV_LU);
    TrainSettings settings = TrainSettings.defaults(batch, 1).withWarmupImages(0)
        .with(OptimizerKind.ADAMAX, 1e-4f, 0, 0, BackwardMode.REVERSIBLE, 1);
    SplittableRandom random = new SplittableRandom(7);
    int images = Math.toIntExact(batch * cfg.dimensions());
    List<List<Double>> train = List.of(new ArrayList<>(), new ArrayList<>()), sample = List.of(new ArrayList<>(), new ArrayList<>());
    try (CpuBackend be = new CpuBackend(); Collective ranks = DistributedOption.ranks(null, be);
        Glow glow = new Glow(be, cfg, 1); Trainer trainer = new Trainer(glow, settings, ranks)) {
      try (DeviceBuffer x = be.uploadNew(BenchCommand.randomImages(images, random))) {
        glow.initialize(x, null, batch, ranks);
      }
      for (int round = -1; round < rounds; round++) {  // round −1 warms both ways up, untimed
        for (int turn = 0; turn < 2; turn++) {
          int way = (turn + Math.max(round, 0)) % 2;  // 0: pieces, 1: whole batch
          be.batchPieces(way == 0);
          long t0 = System.nanoTime();
          for (int i = 0; i < 3; i++)
            try (DeviceBuffer x = be.uploadNew(BenchCommand.randomImages(images, random))) {
              trainer.step(x, batch);
            }
          double trainRate = 3.0 * batch / ((System.nanoTime() - t0) / 1e9);
          long s0 = System.nanoTime();
          for (int i = 0; i < 3; i++) glow.sample(batch, 0.7f, 10L * round + i).close();
          double sampleRate = 3.0 * batch / ((System.nanoTime() - s0) / 1e9);
          if (round >= 0) {
            train.get(way).add(trainRate);
            sample.get(way).add(sampleRate);
          }
        }
      }
    }
    System.out.println("| way | train images/s (median) | rounds won | sample images/s (median) | rounds won |");
    System.out.println("| --- | --- | --- | --- | --- |");
    for (int way = 0; way < 2; way++)
      System.out.printf("| %s | %.1f | %d of %d | %.1f | %d of %d |%n", way == 0 ? "pieces of the batch" : "whole batch",
          median(train.get(way)), wins(train, way), rounds, median(sample.get(way)), wins(sample, way), rounds);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static int wins(List<List<Double>> rates, int way) {
    int won = 0;
    for (int i = 0; i < rates.get(way).size(); i++) if (rates.get(way).get(i) > rates.get(1 - way).get(i)) won++;
    return won;
  }
}
