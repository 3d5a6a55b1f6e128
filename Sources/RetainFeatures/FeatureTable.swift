public enum RetainFeaturesPlaceholder {}
