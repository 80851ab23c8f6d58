"""Stage II's selection machinery: k-means helpers shared by the clustering backends, the
cluster table, the misalignment proxy per cluster, and active / uniform selection of texts."""
