from salad.testing import ClusteringContract


class TestSphericalKMeans(ClusteringContract):
    component_name = "example.spherical_kmeans.v1"
    config = {"n_clusters": 3, "seed": 1}
