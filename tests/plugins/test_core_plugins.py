"""Contract suites for the first-party plugins that ship with the core package."""

from salad.testing import (
    AdapterContract,
    ClusteringContract,
    LossContract,
    MisalignmentScorerContract,
    SpeechEncoderContract,
)


class TestFbankEncoder(SpeechEncoderContract):
    component_name = "salad.fbank_encoder.v1"
    config = {"n_mels": 40}


class TestMLPAdapter(AdapterContract):
    component_name = "salad.mlp_adapter.v1"
    config = {"input_dim": 40, "output_dim": 32, "downsample": 4, "hidden_dim": 64}


class TestNLL(LossContract):
    component_name = "salad.nll.v1"


class TestKLDistill(LossContract):
    component_name = "salad.kl_distill.v1"
    config = {"temperature": 2.0}
    zero_when_matching = True


class TestDistillMixAlpha1(LossContract):
    component_name = "salad.distill_mix.v1"
    config = {"alpha": 1.0}
    zero_when_matching = True


class TestDistillMixHalf(LossContract):
    component_name = "salad.distill_mix.v1"
    config = {"alpha": 0.5}


class TestKLMisalignment(MisalignmentScorerContract):
    component_name = "salad.kl_misalignment.v1"


class TestSklearnKMeans(ClusteringContract):
    component_name = "salad.sklearn_kmeans.v1"
    config = {"n_clusters": 3, "n_init": 3, "normalize": False}


class TestSklearnKMeansBalanced(ClusteringContract):
    component_name = "salad.sklearn_kmeans.v1"
    config = {"n_clusters": 3, "n_init": 3, "normalize": False, "balanced": True}


class TestFaissKMeans(ClusteringContract):
    component_name = "salad.faiss_kmeans.v1"
    config = {"n_clusters": 3, "n_init": 3, "normalize": False}


class TestFaissKMeansBalanced(ClusteringContract):
    component_name = "salad.faiss_kmeans.v1"
    config = {"n_clusters": 3, "n_init": 3, "normalize": False, "balanced": True}
