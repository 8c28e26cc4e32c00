// OCI runtime-spec model: see Spec.swift
